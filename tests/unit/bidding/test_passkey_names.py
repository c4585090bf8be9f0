"""A lot key's user name on the device (auction.bidding.passkeys.named_for_lot): the lot survives truncation."""

from __future__ import annotations

from auction.bidding.passkeys import USER_NAME_BYTES, named_for_lot


def test_a_lot_keys_name_keeps_the_lot_within_the_64_bytes_an_authenticator_may_keep() -> None:
    assert named_for_lot("asel@example.kg", "Lot 12") == "asel@example.kg · Lot 12"
    name = "Жумабекова Асель Бакытбековна-Токтогулова"  # 2 bytes a letter in UTF-8
    long = named_for_lot(name, "Лот №12345")
    assert long.endswith("… · Лот №12345")
    assert name.startswith(long.removesuffix("… · Лот №12345"))
    assert len(long.encode()) <= USER_NAME_BYTES < len(f"{name} · Лот №12345".encode())
    assert len(long.encode()) > USER_NAME_BYTES - 2  # cut no more than it must
    assert named_for_lot("", "Lot 7") == "Lot 7"
