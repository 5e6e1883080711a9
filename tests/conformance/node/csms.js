// A CSMS nobody here wrote: ocpp-rpc's RPCServer in strict mode, for the proxy tests
// (tests/exporter/proxy/test_node_csms.py). Usage: node csms.js [PORT] (0 or none: any port).
//
// Talks JSON lines. On stdout, one event a line:
//   {event: "listening", port}
//   {event: "connected", identity, protocol, authorization}
//   {event: "frame", identity, direction: "in" | "out", message}   every websocket message
//   {event: "result", ref, ok, result | error}                     of a command below
//   {event: "disconnected", identity, code, reason}
// On stdin, one command a line, answered by a "result" event with the same ref:
//   {ref, identity, call: METHOD, params}   a CSMS-initiated call (strict: validated first)
//   {ref, identity, close: [CODE, REASON]}  close that charger's connection
// Charger calls it knows are accepted; any other gets the CALLERROR NotImplemented, and strict
// mode answers a payload that breaks the schema with its own CALLERROR.
'use strict';

const readline = require('readline');
const { RPCServer, createRPCError } = require('ocpp-rpc');

const PROTOCOLS = ['ocpp1.6', 'ocpp2.0.1'];
let nextTransactionId = 1;

function emit(event) {
    process.stdout.write(JSON.stringify(event) + '\n');
}

function now() {
    return new Date().toISOString();
}

const HANDLERS = {
    'ocpp1.6': {
        BootNotification: () => ({ status: 'Accepted', currentTime: now(), interval: 300 }),
        Heartbeat: () => ({ currentTime: now() }),
        StatusNotification: () => ({}),
        Authorize: () => ({ idTagInfo: { status: 'Accepted' } }),
        StartTransaction: () => ({
            transactionId: nextTransactionId++,
            idTagInfo: { status: 'Accepted' },
        }),
        StopTransaction: () => ({ idTagInfo: { status: 'Accepted' } }),
        MeterValues: () => ({}),
    },
    'ocpp2.0.1': {
        BootNotification: () => ({ status: 'Accepted', currentTime: now(), interval: 300 }),
        Heartbeat: () => ({ currentTime: now() }),
        StatusNotification: () => ({}),
        Authorize: () => ({ idTokenInfo: { status: 'Accepted' } }),
        TransactionEvent: () => ({}),
        MeterValues: () => ({}),
    },
};

function describe(error) {
    return {
        name: error && error.name,
        message: error && error.message,
        rpcErrorCode: error && error.rpcErrorCode,
    };
}

async function main() {
    const clients = new Map();
    const server = new RPCServer({ protocols: PROTOCOLS, strictMode: true, callTimeoutMs: 5000 });
    server.auth((accept, reject, handshake) => {
        accept({ authorization: handshake.headers.authorization || null });
    });
    server.on('client', (client) => {
        clients.set(client.identity, client);
        emit({
            event: 'connected',
            identity: client.identity,
            protocol: client.protocol,
            authorization: client.session.authorization,
        });
        client.on('message', ({ message, outbound }) => {
            emit({
                event: 'frame',
                identity: client.identity,
                direction: outbound ? 'out' : 'in',
                message: String(message),
            });
        });
        client.on('close', ({ code, reason }) => {
            if (clients.get(client.identity) === client) clients.delete(client.identity);
            emit({ event: 'disconnected', identity: client.identity, code, reason: String(reason) });
        });
        for (const [method, handler] of Object.entries(HANDLERS[client.protocol])) {
            client.handle(method, handler);
        }
        client.handle(({ method }) => {
            throw createRPCError('NotImplemented', `no handler for ${method}`);
        });
    });
    const port = Number(process.argv[2] || 0);
    const http = await server.listen(port, '127.0.0.1');
    emit({ event: 'listening', port: http.address().port });

    const commands = readline.createInterface({ input: process.stdin });
    commands.on('line', async (line) => {
        if (!line.trim()) return;
        const command = JSON.parse(line);
        const client = clients.get(command.identity);
        try {
            if (!client) throw Error(`no connected charger ${command.identity}`);
            if (command.close) {
                await client.close({ code: command.close[0], reason: command.close[1] });
                emit({ event: 'result', ref: command.ref, ok: true, result: null });
            } else {
                const result = await client.call(command.call, command.params);
                emit({ event: 'result', ref: command.ref, ok: true, result });
            }
        } catch (error) {
            emit({ event: 'result', ref: command.ref, ok: false, error: describe(error) });
        }
    });
    // The test ends this process by closing its stdin.
    commands.on('close', async () => {
        await server.close({ code: 1001, reason: 'csms stopping' });
        process.exit(0);
    });
}

main().catch((error) => {
    process.stderr.write(String(error && error.stack ? error.stack : error));
    process.exit(1);
});
