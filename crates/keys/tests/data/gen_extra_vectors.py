"""Regenerate extra_vectors.json with the Python SDK (edge cases of SURI parsing and keyfiles).

    python3 -m venv /tmp/btw && /tmp/btw/bin/pip install bittensor-wallet==4.1.1
    /tmp/btw/bin/python gen_extra_vectors.py > extra_vectors.json

Every secret here is throwaway test data.
"""
import json

from bittensor_wallet import Keypair
from bittensor_wallet.keyfile import serialized_keypair_to_keyfile_data

DEV = "bottom drive obey lake curtain smoke basket hold race lonely fit walk"
P15 = Keypair.generate_mnemonic(15)
P18 = Keypair.generate_mnemonic(18)
P21 = Keypair.generate_mnemonic(21)
P24 = Keypair.generate_mnemonic(24)
SEED = "0x" + "5a" * 32

uris = [
    "//001", "//+1", "//1", "/5", "//18446744073709551615", "//18446744073709551616",
    "//" + "a" * 30, "//" + "a" * 31, "//" + "a" * 32, "//" + "a" * 40, "//" + "x" * 70,
    "//ключ", "//a_b", "//a b", "//Alice///", "///", "//Alice///pa/ss", "//Alice////pw",
    "/soft//hard/0//-1", DEV + "//a/b//c///pw", "  " + DEV + "  //a", DEV.replace(" ", "   "),
    SEED, SEED + "//Alice", SEED + "/soft", SEED + "///ignored", SEED + "//Alice///ignored",
    P15, P18 + "//x", P21 + "/y", P24 + "//hard/soft///pass",
]
out = {"generator": "bittensor-wallet 4.1.1", "uris": [], "invalid_uris": [], "mnemonics": []}
for u in uris:
    kp = Keypair.create_from_uri(u)
    keyfile = json.loads(serialized_keypair_to_keyfile_data(kp))
    out["uris"].append({
        "uri": u, "public_key_hex": kp.public_key.hex(), "ss58_address": kp.ss58_address,
        # Deterministic only when the path does not end in a soft junction.
        "private_key_hex": keyfile["privateKey"][2:],
    })
for u in ["foo-bar//a", "//", "/", "//a/", DEV + "//a//", "0x1234", "0x" + "zz" * 32, "Alice"]:
    try:
        Keypair.create_from_uri(u)
        out["invalid_uris"].append({"uri": u, "sdk_accepts": True})
    except Exception as e:  # noqa: BLE001
        out["invalid_uris"].append({"uri": u, "sdk_accepts": False, "error": str(e)})
for p in [P15, P18, P21, P24]:
    kp = Keypair.create_from_mnemonic(p)
    out["mnemonics"].append({"mnemonic": p, "words": len(p.split()),
                             "keyfile_json": json.loads(serialized_keypair_to_keyfile_data(kp))})
print(json.dumps(out, indent=1, ensure_ascii=False))
