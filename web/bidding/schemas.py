"""The bidding API's shapes: the requests it takes, and what it answers (applications, bids and receipts,
awards, the live auction, sealed lots)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_serializer
from pydantic_core.core_schema import SerializerFunctionWrapHandler

from auction.accounts.models import BidderKey
from auction.bidding.auction import BidReceipt
from auction.bidding.models import Application, ApplicationStatus, Award, AwardStatus, Bid, BidStatus
from auction.clock import as_utc
from auction.ledger.admission import Admitted
from auction.ledger.verifier import auction_rules as rules
from auction.ledger.verifier.auction_rules import Outcome
from auction.lots.models import AuctionFormat, LotState
from web.lib.json_time import LedgerTime

B64u = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]*$", max_length=4096)]


class Signed(BaseModel):
    """The bidder's signature over the action's statement (docs/keys.md 1.2); the server checks it."""

    model_config = ConfigDict(extra="forbid")

    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    seq: Annotated[int, Field(ge=1, description="The bidder's next number on this lot (see .../me/statement).")]
    seen_at: str = Field(description="The time on the bidder's device, as a ledger time string.")
    sig: B64u = Field(description="Ed25519 signature, or a passkey's DER ECDSA signature, base64url.")
    authenticator_data: B64u | None = Field(default=None, description="Passkeys only.")
    client_data_json: B64u | None = Field(default=None, description="Passkeys only.")

    def as_dict(self) -> dict[str, object]:
        return self.model_dump(exclude_none=True)


def signed_dict(signed: Signed | None) -> dict[str, object] | None:
    return None if signed is None else signed.as_dict()


class KeyObject(BaseModel):
    """A bidder's public key as the ledger records it (docs/keys.md 1)."""

    model_config = ConfigDict(extra="forbid")

    alg: Literal["ed25519", "webauthn-es256"]
    public_key: B64u
    rp_id: str | None = Field(default=None, max_length=253, description="Passkeys only: the relying party id.")

    def as_dict(self) -> dict[str, object]:
        return self.model_dump(exclude_none=True)


class SignedAction(BaseModel):
    """A bidder action with no values of its own: only the signature (withdraw, award sign or decline)."""

    model_config = ConfigDict(extra="forbid")

    signed: Signed | None = None


class ApplicationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: Annotated[list[KeyObject], Field(min_length=1, max_length=5)] | None = Field(
        default=None, description="The keys the bidder signs with on this lot, sorted by key_id; signed by one."
    )
    signed: Signed | None = None


class BidRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    amount: Annotated[int, Field(ge=1, le=rules.MAX_AMOUNT, description="Tyiyn; the rent per period for a lease")]
    signed: Signed | None = None


class SealedBidRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ciphertext: Annotated[str, StringConstraints(min_length=10, max_length=1024)]
    signed: Signed | None = None


class AcceptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    limit: Annotated[int, Field(ge=1, le=rules.MAX_AMOUNT, description="The Dutch price the bidder agrees to.")]
    signed: Signed | None = None


class RunoffOfferRequest(BaseModel):
    """A contender's one sealed run-off offer (docs/ledger-entries.md, `runoff.offer`): the amount and the nonce
    stay with the platform until the deadline; the ledger and the signature carry only their hash."""

    model_config = ConfigDict(extra="forbid", strict=True)

    amount: Annotated[int, Field(ge=1, le=rules.MAX_AMOUNT, description="At least the tied price, in tyiyn.")]
    nonce: Annotated[str, Field(min_length=22, max_length=86, description="16 to 64 random bytes, base64url.")]
    signed: Signed | None = None


class LotKeyRequest(BaseModel):
    """Another of the bidder's keys for a lot, signed by a key already on it."""

    model_config = ConfigDict(extra="forbid")

    key: KeyObject
    signed: Signed | None = None


class KeyReplacement(BaseModel):
    """An officer's re-identification: the bidder's new key, why, and the bidder's signature with that key."""

    model_config = ConfigDict(extra="forbid")

    key: KeyObject
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    signed: Signed | None = None


class Ed25519KeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alg: Literal["ed25519"]
    public_key: B64u = Field(description="The 32-byte Ed25519 public key, base64url.")
    proof: B64u = Field(description="Signature of 'achyk-key-registration/v1|user=<id>|public_key=<public_key>'.")
    label: Annotated[str, StringConstraints(max_length=100)] | None = None


class PasskeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credential: dict[str, Any] = Field(description="The RegistrationResponseJSON of startRegistration.")
    label: Annotated[str, StringConstraints(max_length=100)] | None = None


class KeyOut(BaseModel):
    key_id: str
    alg: str
    public_key: str
    rp_id: str | None
    credential_id: str | None = Field(
        description="A passkey's WebAuthn credential id (base64url), by which the browser asks for it; public."
    )
    label: str
    lot_key: bool = Field(
        default=False, description="A passkey the browser made for one lot only (docs/keys.md 1.3), not discoverable."
    )
    created_at: LedgerTime
    revoked_at: LedgerTime | None

    @classmethod
    def of(cls, key: BidderKey) -> KeyOut:
        return cls(
            key_id=key.key_id,
            alg=key.alg,
            public_key=key.public_key,
            rp_id=key.rp_id,
            credential_id=key.credential_id,
            label=key.label,
            lot_key=key.lot_key,
            created_at=as_utc(key.created_at),
            revoked_at=as_utc(key.revoked_at) if key.revoked_at else None,
        )


class StatementContext(BaseModel):
    """What a bidder's device needs to sign its next statement on a lot."""

    lot: int
    bidder: str = Field(description="The bidder's pseudonym on the lot (known before applying).")
    next_seq: int
    keys: list[str] = Field(description="Key ids registered for this bidder on this lot.")
    rp_id: str
    server_time: LedgerTime


class CommissionSetup(BaseModel):
    """The commission of a sealed draft: its members (officer user ids) and how many of them open the bids."""

    model_config = ConfigDict(extra="forbid")

    members: Annotated[list[int], Field(min_length=2, max_length=9)]
    threshold: Annotated[int, Field(ge=2, le=9)]


class ActionReceiptOut(BaseModel):
    """The ledger's signed receipt for the entry a bidder's action wrote: keep it to prove the action was taken."""

    kind: str = Field(description="The entry's kind, e.g. application.submitted, bid.withdrawn, award.signed.")
    lot_id: int
    lot_seq: int = Field(description="The entry's place in the lot's chain (from 1).")
    admitted_at: LedgerTime
    body: str = Field(description="The ledger entry body (RFC 8785 JSON).")
    body_hash: str = Field(description="SHA-256 of the body, 64 lowercase hex digits.")
    receipt: str = Field(
        description="The signed receipt note (achyk-receipt/v2): it names this body hash, lot, lot_seq and kind."
    )

    @classmethod
    def of(cls, admitted: Admitted) -> ActionReceiptOut:
        assert admitted.lot_id is not None  # a bidder acts on a lot, never on the platform chain
        return cls(
            kind=admitted.kind,
            lot_id=admitted.lot_id,
            lot_seq=admitted.lot_seq,
            admitted_at=admitted.admitted_at,
            body=admitted.body.decode(),
            body_hash=admitted.body_hash,
            receipt=admitted.receipt,
        )


class RunoffOfferOut(BaseModel):
    """The committed offer: its hash, and the receipt of the ledger entry that holds it."""

    lot_id: int
    offer_hash: str
    receipt: ActionReceiptOut


class ApplicationOut(BaseModel):
    """A bidder's application to a lot; its pseudonym is the name the bidder has in that lot's auction."""

    id: int
    lot_id: int
    pseudonym: str | None = Field(
        description=(
            "The bidder's pseudonym in the lot. Always shown to the bidder; null to the lot's officers until the lot "
            "is decided, so that an applicant's name cannot be linked to their bids while the auction runs."
        )
    )
    status: ApplicationStatus
    deposit_reference: str | None
    reason: str | None = Field(description="Why the application was rejected.")
    submitted_at: LedgerTime

    @classmethod
    def of(cls, application: Application, *, pseudonym_shown: bool = True) -> ApplicationOut:
        return cls(
            id=application.id,
            lot_id=application.lot_id,
            pseudonym=application.pseudonym if pseudonym_shown else None,
            status=application.status,
            deposit_reference=application.deposit_reference,
            reason=application.reason,
            submitted_at=as_utc(application.submitted_at),
        )


class ApplicationSubmitted(ApplicationOut):
    """The new application, with the receipt for its application.submitted entry."""

    receipt: ActionReceiptOut


class BidOut(BaseModel):
    """One accepted bid as the public sees it."""

    bidder: str = Field(description="The bidder's pseudonym in this lot.")
    amount: int | None = Field(description="Tyiyn; null for sealed bids until the lot is decided.")
    ciphertext_hash: str | None = Field(description="SHA-256 of a sealed bid's ciphertext.")
    status: BidStatus
    placed_at: LedgerTime
    body_hash: str = Field(description="The hash of the bid's ledger body, as on the bidder's receipt.")

    @classmethod
    def of(cls, bid: Bid, *, reveal: bool) -> BidOut:
        return cls(
            bidder=bid.pseudonym,
            amount=bid.amount if reveal else None,
            ciphertext_hash=bid.ciphertext_hash,
            status=bid.status,
            placed_at=as_utc(bid.placed_at),
            body_hash=bid.body_hash,
        )


class BidReceiptOut(BaseModel):
    """What a bidder keeps: the ledger body of their bid, its hash and the log's signed promise to include it."""

    bid_id: int
    lot_id: int
    amount: int | None = Field(description="Tyiyn; null for a sealed bid.")
    placed_at: LedgerTime
    closes_at: LedgerTime = Field(description="The closing time after this bid (soft close may have moved it).")
    body: str = Field(description="The ledger entry body (RFC 8785 JSON).")
    body_hash: str
    receipt: str = Field(description="The signed promise of inclusion.")

    @classmethod
    def of(cls, receipt: BidReceipt) -> BidReceiptOut:
        return cls.model_validate(receipt, from_attributes=True)


class SealedBidWithdrawn(BaseModel):
    """The withdrawal, with the receipt for its bid.withdrawn entry."""

    lot_id: int
    withdrawn: Literal[True]
    receipt: ActionReceiptOut


class AwardOut(BaseModel):
    """Who was offered the lot at what price: rank 1 is the winner, rank 2 the runner-up."""

    rank: int
    bidder: str = Field(description="The bidder's pseudonym in this lot.")
    price: int = Field(description="Tyiyn.")
    status: AwardStatus
    sign_deadline: LedgerTime

    @classmethod
    def of(cls, award: Award) -> AwardOut:
        return cls(
            rank=award.rank,
            bidder=award.pseudonym,
            price=award.price,
            status=award.status,
            sign_deadline=as_utc(award.sign_deadline),
        )


class AwardSigned(AwardOut):
    """The signed award, with the receipt for its award.signed entry."""

    receipt: ActionReceiptOut


class AwardDeclined(BaseModel):
    """The refusal of an award, with the receipt for its award.declined entry."""

    passed_to: AwardOut | None = Field(description="The runner-up's award, or null when the lot failed.")
    receipt: ActionReceiptOut


class SealedLotKey(BaseModel):
    lot_id: int
    public_key: str = Field(
        description="The commission's joint key: an edwards25519 point, base64url; bidders encrypt their bids to it."
    )


class SealedLotPublished(BaseModel):
    lot_id: int
    state: LotState
    public_key: str | None = Field(description="The commission's joint key (edwards25519, base64url).")


class SealedLotOutcome(BaseModel):
    """The decided sealed-bid lot."""

    winner: str | None = Field(description="The winner's pseudonym; null when the lot failed.")
    price: int | None
    runner_up: str | None
    runner_up_price: int | None
    reason: str

    @classmethod
    def of(cls, outcome: Outcome) -> SealedLotOutcome:
        return cls(
            winner=outcome.winner,
            price=outcome.price,
            runner_up=outcome.runner_up,
            runner_up_price=outcome.runner_up_price,
            reason=outcome.reason,
        )


class LiveAuction(BaseModel):
    """What a watcher of a lot sees. Fields that do not apply to the lot's stage or format are left out."""

    lot_id: int
    state: LotState
    format: AuctionFormat
    server_time: LedgerTime = Field(description="The server's clock, to correct the client's countdown.")
    opens_at: LedgerTime | None = Field(default=None, description="Before the auction starts.")
    closes_at: LedgerTime | None = Field(default=None, description="Once it runs; soft close may move it.")
    bid_count: int | None = Field(
        default=None,
        description=(
            "Once it runs. Null for a sealed-bid lot until its bids are opened: their number stays confidential, "
            "except to officers of the lot's municipality."
        ),
    )
    current_price: int | None = Field(default=None, description="Once it runs; null while sealed or unbid.")
    leader: str | None = Field(default=None, description="Once it runs; the leader's pseudonym, null while sealed.")
    minimum_next_bid: int | None = Field(default=None, description="Open ascending auctions, once they run.")
    contenders: int | None = Field(
        default=None, description="Descending auctions: bidders who accepted the current tick's price (the tie rule)."
    )
    runoff_price: int | None = Field(default=None, description="Descending: the tied price while a run-off runs.")
    runoff_closes_at: LedgerTime | None = Field(default=None, description="Descending: the run-off's deadline.")

    @model_serializer(mode="wrap")
    def _only_what_applies(self, serialize: SerializerFunctionWrapHandler) -> dict[str, object]:
        # Absent means "not at this stage"; null means "not known yet" (no bid) or "hidden" (sealed).
        return {name: value for name, value in serialize(self).items() if name in self.model_fields_set}


class RelyingPartyOut(BaseModel):
    name: str
    id: str


class PasskeyUserOut(BaseModel):
    id: str = Field(description="base64url user handle")
    name: str
    displayName: str  # noqa: N815 - WebAuthn's own spelling, as startRegistration reads it


class CredentialParameterOut(BaseModel):
    type: str
    alg: int


class CredentialDescriptorOut(BaseModel):
    id: str
    type: str
    transports: list[str] | None = None

    @model_serializer(mode="wrap")
    def _as_sent(self, serialize: SerializerFunctionWrapHandler) -> dict[str, object]:
        # WebAuthn members absent from the library's options stay absent: a browser refuses null for an enum.
        return {name: value for name, value in serialize(self).items() if name in self.model_fields_set}


class AuthenticatorSelectionOut(BaseModel):
    residentKey: str | None = None  # noqa: N815
    requireResidentKey: bool | None = None  # noqa: N815
    userVerification: str | None = None  # noqa: N815
    authenticatorAttachment: str | None = None  # noqa: N815

    @model_serializer(mode="wrap")
    def _as_sent(self, serialize: SerializerFunctionWrapHandler) -> dict[str, object]:
        # WebAuthn members absent from the library's options stay absent: a browser refuses null for an enum.
        return {name: value for name, value in serialize(self).items() if name in self.model_fields_set}


class PasskeyOptions(BaseModel):
    """WebAuthn registration options (PublicKeyCredentialCreationOptionsJSON), for startRegistration."""

    rp: RelyingPartyOut
    user: PasskeyUserOut
    challenge: str
    pubKeyCredParams: list[CredentialParameterOut]  # noqa: N815
    timeout: int | None = None
    excludeCredentials: list[CredentialDescriptorOut] = Field(default_factory=list)  # noqa: N815
    authenticatorSelection: AuthenticatorSelectionOut | None = None  # noqa: N815
    attestation: str | None = None
    hints: list[str] | None = None

    @model_serializer(mode="wrap")
    def _as_sent(self, serialize: SerializerFunctionWrapHandler) -> dict[str, object]:
        # WebAuthn members absent from the library's options stay absent: a browser refuses null for an enum.
        return {name: value for name, value in serialize(self).items() if name in self.model_fields_set}


# --- the commission's relay (docs/keys.md section 2); binary values are base64url -------------------------------

CeremonyStage = Literal["keys", "dealing", "acknowledging", "complete", "failed"]
OpeningStage = Literal["not_closed", "collecting", "ready", "opened"]


class CeremonyMemberOut(BaseModel):
    member: int = Field(description="The member's user id.")
    index: int = Field(description="x_j: the member's position in the commission (by user id) plus one.")
    public_key: str | None = Field(description="The member's own key P (edwards25519), once posted.")
    pok: str | None = Field(description="Schnorr proof of possession of the member's secret, once posted.")


class DealingOut(BaseModel):
    dealer: int
    commitments: list[str] = Field(description="a_it·G for t in 0..k-1.")
    shares: dict[str, str] = Field(description="Member id -> E_ij, the share encrypted to that member (80 bytes).")
    sig: str


class AcknowledgementOut(BaseModel):
    member: int
    transcript_hash: str
    verification_key: str
    complaints: list[int]
    sig: str


class CeremonyOut(BaseModel):
    """A sealed draft's key ceremony as relayed: every message exactly as its member posted it."""

    lot: int
    threshold: int
    members: list[CeremonyMemberOut]
    dealings: list[DealingOut]
    acknowledgements: list[AcknowledgementOut]
    public_key: str | None = Field(description="The joint key Y = Σ C_i0 once the ceremony is complete.")
    stage: CeremonyStage


class OpeningMemberOut(BaseModel):
    member: int
    index: int
    public_key: str
    verification_key: str = Field(description="Y_j, against which the member's decryption shares are proved.")


class StandingBidOut(BaseModel):
    bidder: str
    ciphertext_hash: str
    ciphertext: str


class DecryptionShareOut(BaseModel):
    ciphertext_hash: str
    share: str = Field(description="D = x̂_j·R of the bid.")
    proof: str = Field(description="DLEQ proof c ‖ z that log_G(Y_j) = log_R(D).")


class ShareMessageOut(BaseModel):
    member: int
    shares: list[DecryptionShareOut]
    sig: str


class OpeningOut(BaseModel):
    """A sealed lot's opening: the standing bids and the decryption shares posted so far (also in the ledger)."""

    lot: int
    stage: OpeningStage
    threshold: int
    public_key: str | None
    members: list[OpeningMemberOut]
    dealings: list[DealingOut]
    standing: list[StandingBidOut]
    shares: list[ShareMessageOut]


class ProtocolSignatureOut(BaseModel):
    """One commission member's signature on the protocol hash, as the ledger holds it (docs/keys.md 3)."""

    member: int
    name: str | None = Field(description="The member's name (officials act in public).")
    key: dict[str, str] = Field(description="The member's key object (docs/keys.md 1).")
    signed: dict[str, str] = Field(description="key_id and sig (and a passkey's authenticator_data, client_data_json).")
    at: str = Field(description="When the signature entered the lot's chain (ledger time string).")
    lot_seq: int


class ProtocolTermsOut(BaseModel):
    version: int
    kind: str
    format: str
    title_ky: str | None
    title_ru: str | None
    title_en: str | None
    address: str | None
    area_sqm: str | None
    registration_number: str | None
    starting_price: int
    bid_step: int
    deposit: int
    floor_price: int | None
    lease_term_months: int | None
    rent_period: str | None
    indexation_percent: int | None
    single_participant_rule: str


class ProtocolScheduleOut(BaseModel):
    published_at: str
    applications_close_at: str
    bidding_opens_at: str
    bidding_closes_at: str
    opened_at: str | None
    closed_at: str | None


class ProtocolParticipantsOut(BaseModel):
    count: int
    pseudonyms: list[str]


class ProtocolResultOut(BaseModel):
    outcome: Literal["awarded", "failed"]
    winner: str | None
    winner_name: str | None = Field(description="The winner's name: a person's full name or a legal entity's name.")
    price: int | None
    runner_up: str | None
    runner_up_price: int | None
    bid_count: int
    reason: str


class ProtocolAwardEntryOut(BaseModel):
    kind: Literal["award.made", "award.failed"]
    lot_seq: int
    body_hash: str
    at: str


class ProtocolCommissionOut(BaseModel):
    members: list[int]
    required: int


class ProtocolDocumentOut(BaseModel):
    """The results protocol document, field for field as docs/keys.md 3.1 defines it."""

    protocol: str
    lot: int
    municipality: int
    deal: str
    council_decision: str | None
    terms: ProtocolTermsOut
    schedule: ProtocolScheduleOut
    participants: ProtocolParticipantsOut
    result: ProtocolResultOut
    award_entry: ProtocolAwardEntryOut
    commission: ProtocolCommissionOut


class ProtocolOut(BaseModel):
    """A lot's results protocol: the document exactly as issued into the ledger, its hash, and its signatures."""

    lot: int
    protocol: ProtocolDocumentOut  # the document as issued; protocol_hash is over its RFC 8785 bytes
    protocol_hash: str = Field(description="Hex SHA-256 of the document's RFC 8785 bytes: what members sign.")
    issued_at: str
    lot_seq: int = Field(description="The protocol.issued entry's place in the lot's chain.")
    body_hash: str = Field(description="The protocol.issued entry's body hash.")
    signatures: list[ProtocolSignatureOut]
    required: int = Field(description="How many commission members must sign: a majority.")
    complete: bool = Field(description="Whether a majority of the commission has signed.")


class ProtocolSignatureStatement(BaseModel):
    statement: Literal["achyk-protocol-signature/v1"]
    lot: int
    member: int
    protocol_hash: str


class ProtocolStatementOut(BaseModel):
    """The statement a commission member signs: Ed25519 over its RFC 8785 bytes, or a passkey over its SHA-256."""

    statement: ProtocolSignatureStatement
    challenge: str = Field(description="b64u(SHA-256(JCS(statement))): a passkey's WebAuthn challenge.")


class ProtocolSignRequest(BaseModel):
    """A member's signature: key_id of one of their account's keys, sig, and a passkey's WebAuthn parts."""

    key_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    sig: str = Field(max_length=200)
    authenticator_data: str | None = Field(default=None, max_length=2000)
    client_data_json: str | None = Field(default=None, max_length=4000)

    def signed(self) -> dict[str, str]:
        parts = {
            "sig": self.sig,
            "authenticator_data": self.authenticator_data,
            "client_data_json": self.client_data_json,
        }
        return {name: value for name, value in parts.items() if value is not None}
