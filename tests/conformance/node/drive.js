// Drives the collector as a charger with the third-party ocpp-rpc client, for
// tests/conformance. Reads one JSON job on stdin, writes one JSON report on stdout:
//   job:    {url, identity, protocols, strict, calls: [[action, payload], ...]}
//   report: {connected, error, protocol, extensions, calls: [{action, ok, result | error}],
//            closed: {code, reason} | null}
// In strict mode ocpp-rpc validates every request it sends and every reply it receives
// against its own copy of the OCPP JSON schemas; a reply that does not validate rejects the
// call with the validator's error, which the report carries.
'use strict';

const { RPCClient } = require('ocpp-rpc');

const STRICT_PROTOCOLS = ['ocpp1.6', 'ocpp2.0.1'];

function readStdin() {
    return new Promise((resolve, reject) => {
        const chunks = [];
        process.stdin.on('data', (chunk) => chunks.push(chunk));
        process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        process.stdin.on('error', reject);
    });
}

function describe(error) {
    return {
        name: error && error.name,
        message: error && error.message,
        rpcErrorCode: error && error.rpcErrorCode,
        details: error && error.details,
    };
}

async function main() {
    const job = JSON.parse(await readStdin());
    const report = {
        connected: false,
        error: null,
        protocol: null,
        extensions: null,
        calls: [],
        closed: null,
    };
    const client = new RPCClient({
        endpoint: job.url,
        identity: job.identity,
        protocols: job.protocols,
        // Strict for every offered subprotocol ocpp-rpc has schemas for (not 'ocpp1.2').
        strictMode: job.strict ? job.protocols.filter((p) => STRICT_PROTOCOLS.includes(p)) : false,
        reconnect: false,
        callTimeoutMs: 5000,
    });
    const closed = new Promise((resolve) => client.once('close', resolve));
    try {
        const opened = await client.connect();
        report.connected = true;
        report.protocol = client.protocol;
        report.extensions = opened.response.headers['sec-websocket-extensions'] || null;
    } catch (error) {
        report.error = describe(error);
    }
    if (report.connected) {
        for (const [action, payload] of job.calls) {
            try {
                const result = await client.call(action, payload);
                report.calls.push({ action, ok: true, result });
            } catch (error) {
                report.calls.push({ action, ok: false, error: describe(error) });
            }
        }
        if (job.waitForClose) {
            const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 5000));
            report.closed = await Promise.race([closed, timeout]);
        } else {
            await client.close({ code: 1000 });
        }
    }
    process.stdout.write(JSON.stringify(report));
}

main().catch((error) => {
    process.stderr.write(String(error && error.stack ? error.stack : error));
    process.exit(1);
});
