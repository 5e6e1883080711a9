"""Recipients: the people behind a receiver name, with everything the receiver needs to reach
them, and the receiver names the policy does not produce."""

from __future__ import annotations

import pytest

from chargekeeper.config.routing import RoutingPolicy
from chargekeeper.routing import Recipient, UnknownReceiverError, recipients_for


def test_recipients_carry_everything_the_receiver_needs(demo: RoutingPolicy) -> None:
    assert recipients_for("team:north:both", demo) == [
        Recipient(
            technician_id="chloe",
            name="Chloé Roux",
            email="chloe@chargekeeper.example",
            phone="+33612345003",
            language="fr",
            timezone="Europe/Paris",
            channels=("email", "sms"),
        ),
        Recipient(
            technician_id="dan",
            name="Dan Peeters",
            email="dan@chargekeeper.example",
            phone="+32470123004",
            language="en",
            timezone="Europe/Brussels",
            channels=("email", "sms"),
        ),
    ]
    [eva] = recipients_for("tech:eva:sms", demo)
    assert (eva.technician_id, eva.phone, eva.channels) == ("eva", "+41791234005", ("sms",))
    # The heartbeat, the recording route, and the fallback of configurations rendered before
    # the recording route (webhooks stored under it stay readable): stored, nobody told.
    for nobody in ("deadman", "record", "unrouted"):
        assert recipients_for(nobody, demo) == []


@pytest.mark.parametrize(
    "name", ["tech:zed:sms", "team:south:email", "tech:alice:fax", "console-only", "tech:alice"]
)
def test_a_receiver_name_the_policy_does_not_produce_is_refused(
    demo: RoutingPolicy, name: str
) -> None:
    with pytest.raises(UnknownReceiverError, match="receiver"):
        recipients_for(name, demo)


def test_a_recipient_gives_its_address_and_the_channel_to_fail_over_to(
    demo: RoutingPolicy,
) -> None:
    [noc] = recipients_for("tech:noc:email", demo)
    assert (noc.address("email"), noc.address("sms"), noc.address("fax")) == (
        "noc@chargekeeper.example",
        None,
        None,
    )
    assert noc.other_channel("email") is None  # no phone number to fail over to
    [eva] = recipients_for("tech:eva:sms", demo)
    assert eva.address("sms") == "+41791234005"
    assert (eva.other_channel("sms"), eva.other_channel("email")) == ("email", "sms")
