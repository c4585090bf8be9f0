"""Every refusal the platform makes, by a stable code, with its English template.

A refusal travels as a code (``bid.too_low``) and parameters of plain values; the English sentence is this
template filled in, and other languages translate the template (the web layer looks the template up through
gettext, so ``pybabel extract`` must see each one: hence the ``N_`` marker, see babel.cfg). Changing a template's
words changes its msgid: move its Kyrgyz and Russian translations in web/locale along with it.

Parameter names carry their kind, so each language can write the value its own way:
``*_tyiyn`` is an amount of money in tyiyn (an int), ``*_at`` a moment as an ISO 8601 UTC string.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Protocol

Param = int | str

MONEY_SUFFIX = "_tyiyn"
MOMENT_SUFFIX = "_at"
# English messages write moments in Bishkek time (UTC+6 all year), as every page does; kept here so that this base
# module imports nothing of the slices.
BISHKEK = timezone(timedelta(hours=6), "Asia/Bishkek")


def N_(template: str) -> str:  # noqa: N802 - the gettext marker name the extractor knows
    """Mark a template for extraction; it is translated where it is shown."""
    return template


REFUSALS: Mapping[str, str] = {
    # Accounts and permissions.
    "account.language_unknown": N_("Choose one of: %(languages)s."),
    "account.personal_number_malformed": N_(
        "A personal number has 14 digits: 1 or 2, the birth date as DDMMYYYY, then 5 digits."
    ),
    "account.tax_number_malformed": N_("A legal entity's tax number (INN) has 14 digits and starts with 0."),
    "account.personal_number_gender": N_(
        "A personal number starts with its gender digit, 1 or 2; this one starts with %(digit)s."
    ),
    "account.personal_number_no_such_date": N_("The birth date in the number, %(date)s, does not exist."),
    "account.personal_number_future_date": N_("The birth date in the number, %(date)s, is in the future."),
    "account.bidder_under_age": N_(
        "The birth date in the number, %(date)s, is of someone under %(minimum)s: only adults may bid."
    ),
    "account.personal_number_serial": N_("The last 5 digits of a personal number (its serial) are never 00000."),
    "account.identity_taken": N_("This number already has an account: sign in, or ask the municipality to reset it."),
    "account.officer_municipality": N_("An officer belongs to exactly one municipality; others to none."),
    "account.email_taken": N_("An account with this e-mail already exists; log in instead."),
    "account.login_throttled": N_("Too many failed logins for this e-mail; wait %(minutes)s minutes and try again."),
    "account.login_wrong": N_("The e-mail or password is wrong."),
    "password_reset.invalid": N_("This password-reset link is used up or has expired: ask for a new one."),
    "password_reset.password_short": N_("Use at least 10 characters."),
    "notifications.phone_invalid": N_("Write the phone number with its country code, digits only, e.g. +996700123456."),
    "notifications.phone_missing": N_("To get SMS, give a phone number."),
    "notifications.telegram_invalid": N_("Give your Telegram @username or chat number."),
    "notifications.telegram_missing": N_("To get Telegram messages, give your Telegram @username or chat number."),
    "auth.login_required": N_("Log in to do this."),
    "auth.officer_login_required": N_("Log in as an officer of the lot's municipality to do this."),
    "auth.other_municipality": N_("Officers can only manage lots of their own municipality."),
    "auth.role_cannot_manage_lots": N_("A %(role)s account cannot create or change lots; an officer must."),
    "auth.role_required": N_("This needs a %(roles)s account; you are logged in as a %(role)s."),
    "auth.bidder_required": N_("This needs a bidder account; you are logged in as a %(role)s."),
    "auth.officers_only": N_("The officer console is for municipal officers and administrators."),
    "auth.admins_only": N_("The administrator's console is for administrators."),
    "auth.inspectors_only": N_("The administrative action log is for inspectors and administrators."),
    "auth.bearer_required": N_("Send 'Authorization: Bearer <token>'."),
    "auth.bearer_of_account_required": N_("Send 'Authorization: Bearer <token>' of your account."),
    "auth.officer_token_required": N_("Send an officer's API token as 'Authorization: Bearer <token>'."),
    "auth.csrf_header_missing": N_("Send the page's CSRF token in the x-csrftoken header, or use an API token."),
    "auth.csrf_failed": N_(
        "The form has expired or was sent from another site. Go back, reload the page and try again."
    ),
    "auth.cross_origin": N_(
        "This request came from another site (%(origin)s). Changes are accepted only from Achyk's own pages."
    ),
    "auth.session_ended": N_("Your session has ended. Log in again."),
    "auth.token_unknown": N_("The API token is unknown or revoked; create a new one at /api/v1/auth/token."),
    # Municipalities.
    "municipality.not_found": N_("There is no municipality number %(municipality_id)s."),
    "municipality.code_unknown": N_("There is no municipality '%(code)s'."),
    # The administrative units file (docs/municipalities.md): each problem is shown with its line.
    "units.not_utf8": N_('The file is not UTF-8 text; save it from the spreadsheet as "CSV UTF-8".'),
    "units.csv_malformed": N_("The file is not valid CSV here: %(reason)s."),
    "units.header_wrong": N_("The first line must be exactly: %(header)s"),
    "units.columns_wrong": N_("This line has %(count)s columns; every line needs %(expected)s."),
    "units.code_malformed": N_(
        "'%(code)s' is not a unit code: use lowercase Latin letters, digits and inner hyphens, at most 64."
    ),
    "units.code_duplicate": N_("The code '%(code)s' is already used on line %(first_line)s."),
    "units.level_unknown": N_("'%(level)s' is not a level; use one of: %(levels)s."),
    "units.name_missing": N_("Every unit needs its name in Kyrgyz, Russian and English."),
    "units.name_too_long": N_("A name has at most %(max_length)s characters."),
    "units.classifier_malformed": N_("The classifier code '%(classifier)s' must be digits only (SOATE: 14 digits)."),
    "units.classifier_duplicate": N_("The classifier code %(classifier)s is already used on line %(first_line)s."),
    "units.classifier_taken": N_("The classifier code %(classifier)s already belongs to '%(code)s' on the platform."),
    "units.owns_property_malformed": N_("owns_property must be true or false, not '%(value)s'."),
    "units.level_changed": N_("'%(code)s' is a %(was)s on the platform; an import cannot make it a %(level)s."),
    "units.parent_unknown": N_("The parent '%(parent)s' is neither in the file nor on the platform."),
    "units.parent_missing": N_("A unit of level %(level)s needs a parent_code."),
    "units.parent_level_wrong": N_(
        "A unit of level %(level)s cannot be under '%(parent)s', which is of level %(parent_level)s."
    ),
    "units.cycle": N_("The parents go round in a circle: %(chain)s."),
    "units.file_invalid": N_("The units file has %(count)s problems; nothing was imported."),
    "units.import_concurrent": N_(
        "Another import changed the units at the same time; nothing was imported. Check the file again and import it."
    ),
    # The administrator's console and command line.
    "admin.role_not_staff": N_("Only officer, inspector and administrator accounts are created here."),
    "admin.officer_needs_property_owner": N_(
        "An officer acts for a municipality that owns property; '%(code)s' does not (mark it first)."
    ),
    "admin.account_not_found": N_("There is no staff account number %(user_id)s."),
    "admin.self_deactivation": N_("You cannot deactivate your own account; another administrator must."),
    "admin.contact_too_long": N_("Write this in at most %(max_length)s characters."),
    "admin.contact_email_invalid": N_("Enter an e-mail address such as mulk@tokmok.gov.kg."),
    "admin.contact_phone_invalid": N_("Enter a phone number in digits, such as +996 3138 5 12 34."),
    "admin.payment_details_invalid": N_(
        "Enter the payment details (recipient, bank, account), at most %(max_length)s characters."
    ),
    # Lots: finding, drafting, amending, publishing.
    "lot.not_found": N_("There is no lot number %(lot_id)s."),
    "lot.number_missing": N_("Enter a lot number."),
    "lot.municipality_missing": N_("Say which municipality the lot belongs to."),
    "lot.transition_refused": N_(
        "The lot is %(state)s; it cannot become %(target)s. Allowed next states: %(allowed)s."
    ),
    "lot.terms_invalid": N_("The lot's terms break the rules; each problem names the field to change."),
    "lot.terms_frozen": N_("The lot is %(state)s; its terms can no longer change."),
    "lot.format_frozen": N_("The auction format cannot change after publication; cancel and list the lot again."),
    "lot.amendment_reason_missing": N_("Say why a published lot is amended; the reason is published."),
    "lot.amendment_empty": N_("The amendment changes nothing."),
    "lot.amendment_needs_reopening": N_(
        "Bidders have applied under the current terms; changing a material term (price, step, deposit, schedule, "
        "lease term or rent, the single-participant rule, the soft close or the council decision) requires "
        "reopening applications (set reopen_applications)."
    ),
    "lot.reopened_window_short": N_(
        "A reopened applications window must stay open at least %(reopen_days)s days: the earliest deadline is "
        "%(earliest_at)s."
    ),
    "lot.reopened_window_past_opening": N_(
        "The reopened applications deadline must come before bidding opens at %(opens_at)s: amend the schedule first."
    ),
    "lot.document_reason_missing": N_(
        "Bidders have applied under the current documents; say why this document is added or replaced "
        "(the reason is published)."
    ),
    "lot.document_needs_reopening": N_(
        "Bidders have applied under the current documents, so a new or replaced document reopens applications: "
        "give the new applications deadline, at least %(reopen_days)s days from now."
    ),
    "lot.document_replaces_unknown": N_("Lot %(lot_id)s has no current document number %(file_id)s to replace."),
    "lot.repeat_already_relisted": N_(
        "Lot %(lot_id)s was already relisted as lot %(repeat_id)s; a failed lot is repeated once "
        "(cancel that draft to relist it differently)."
    ),
    "lot.repeat_of_not_failed": N_(
        "Lot %(lot_id)s is %(state)s; a repeat auction is published only after the previous one failed."
    ),
    "lot.sealed_needs_commission": N_(
        "A sealed-bid lot is published once its commission has made the key to the bids together: "
        "start the commission's key ceremony for lot %(lot_id)s first."
    ),
    "lot.repeat_not_failed": N_("The lot is %(state)s; only a failed auction can be repeated."),
    "lot.repeat_reduction_too_deep": N_(
        "%(municipality)s allows a repeat auction at most %(max_percent)s%% below the previous starting price."
    ),
    "lot.documents_frozen": N_("The lot is %(state)s; its documents can no longer change."),
    "lot.file_not_found": N_("Lot %(lot_id)s has no file number %(file_id)s."),
    "file.type_refused": N_("A %(kind)s must be one of: %(allowed)s; this file is %(content_type)s."),
    "file.empty": N_("The file is empty."),
    "file.too_large": N_("The file is %(size_bytes)s bytes; the limit is %(limit_bytes)s bytes."),
    "file.contents_mismatch": N_("The file's contents are not a valid %(content_type)s."),
    "catalog.cursor_invalid": N_("The page cursor is not one this catalog gave out."),
    "catalog.price_range_inverted": N_("min_price is larger than max_price."),
    # A lot's terms (each a problem at one field; several come together in lot.terms_invalid).
    "terms.title_missing": N_("Give the lot a title in at least one of Kyrgyz, Russian or English."),
    "terms.amount_out_of_range": N_("Must be between 0 and %(max_tyiyn)s."),
    "terms.starting_price_not_positive": N_("The starting price must be more than zero."),
    "terms.valuation_not_positive": N_(
        "The appraised value must be more than zero; leave it blank if there is no appraisal report."
    ),
    "terms.bid_step_not_positive": N_("The bid step must be more than zero."),
    "terms.bid_step_above_price": N_("The bid step cannot be larger than the starting price."),
    "terms.deposit_above_price": N_("The deposit cannot be larger than the starting price."),
    "terms.applications_deadline_past": N_("The applications deadline must be in the future."),
    "terms.bidding_opens_before_deadline": N_("Bidding cannot open before the applications deadline has passed."),
    "terms.bidding_closes_before_opening": N_("Bidding must close after it opens."),
    "terms.lease_term_missing": N_("A lease needs its term in months."),
    "terms.lease_term_too_long": N_("The lease term must be 1 to %(max_months)s months here."),
    "terms.rent_period_missing": N_("A lease needs the rent period (month, quarter or year)."),
    "terms.sale_with_lease_terms": N_("A sale has no lease term or rent period."),
    "terms.floor_price_invalid": N_("A descending auction needs a floor below the starting price."),
    "terms.price_drop_interval_invalid": N_("The price must drop every 10 seconds to 24 hours."),
    "terms.descending_fields_misplaced": N_("Only a descending auction has a floor price and a drop interval."),
    "terms.soft_close_out_of_range": N_("The soft-close window must be 1 to 60 minutes."),
    "terms.extension_cap_out_of_range": N_("The total extension cap must be 0 to 1440 minutes."),
    "terms.cadastral_number_malformed": N_("Land and buildings need a cadastral number shaped like 1-02-03-0004-0005."),
    "terms.vehicle_number_malformed": N_("A vehicle needs its 17-character VIN or a plate shaped like 01KG123ABC."),
    "terms.inventory_number_malformed": N_("Use letters, digits, '/', '-' or '.' (at most 64)."),
    "terms.inventory_number_missing": N_(
        "A kiosk place, pitch or advertising space needs its number in the municipality's placement scheme."
    ),
    "terms.payment_account_malformed": N_(
        "Enter the account number: 16 digits for a Kyrgyz bank account, or an IBAN such as KG00ABCD1234567890123456."
    ),
    "terms.payment_bank_code_malformed": N_("Enter the bank's BIK: 6 digits, such as 128001."),
    "terms.payment_account_not_of_bank": N_(
        "The account number does not belong to this bank: a Kyrgyz account starts with the first 3 digits of its "
        "bank's BIK."
    ),
    "terms.payment_details_missing": N_(
        "A lot that takes a deposit is published only with the deposit payment details: the recipient, the bank, its "
        "BIK, the account number and the purpose of payment (%(count)s still missing)."
    ),
    "terms.permitted_use_missing": N_("A lease needs its permitted use: what the tenant may use the property for."),
    "terms.permitted_use_too_long": N_("Describe the permitted use in at most %(max_characters)s characters."),
    "terms.lease_only_term_on_sale": N_(
        "Only a lease has a permitted use, rent indexation, a sitting tenant or a decision extending its term."
    ),
    # Rules of publication, from the municipality's rules in force (auction/ledger/verifier/publication_rules.py).
    "publication.notice_too_short": N_(
        "Applications must stay open at least %(notice_days)s days after publication: the earliest deadline is "
        "%(earliest_at)s."
    ),
    "publication.council_decision_missing": N_(
        'Cite the council (kenesh) decision that puts the property up, e.g. "Tokmok city kenesh decision No. 14 '
        'of 12.03.2026"; a lot is published only with one.'
    ),
    "publication.outside_working_hours": N_(
        "%(moment_at)s is outside working hours: bidding opens and closes on working days from %(start)s to "
        "%(end)s, Bishkek time."
    ),
    "publication.latest_close_outside_working_hours": N_(
        "Bidding could run until %(latest_at)s, outside working hours (working days from %(start)s to %(end)s, "
        "Bishkek time): close earlier or allow less extension."
    ),
    "repeat.different_property": N_(
        "A repeat auction offers the same property: %(term)s must stay as the failed lot had it."
    ),
    "repeat.price_cut_too_deep": N_(
        "A repeat auction may cut the starting price by at most %(max_percent)s%% of the failed lot's: "
        "it must be at least %(minimum_tyiyn)s."
    ),
    "repeat.attempts_exhausted": N_(
        "This property has been put up %(max_attempts)s times, the most the municipality's rules allow; "
        "offering it again needs a new council decision and a new lot."
    ),
    # Applications and deposits.
    "application.identity_missing": N_("Complete your personal or tax number before applying."),
    "application.lot_not_published": N_("The lot is %(state)s; applications are taken only while it is published."),
    "application.deadline_passed": N_("The applications deadline has passed."),
    "application.duplicate": N_("You have already applied to this lot; your application is %(status)s."),
    "application.bank_reference_invalid": N_("Give the bank's payment reference (3 to 100 characters)."),
    "application.reject_reason_missing": N_("Say why the application is rejected; the bidder sees the reason."),
    "application.not_found": N_("There is no application number %(application_id)s."),
    "application.review_closed": N_("The lot is %(state)s; applications can no longer be reviewed."),
    "application.already_reviewed": N_("The application is already %(status)s."),
    "application.admission_closed": N_(
        "Bidding opened at %(opened_at)s; no participant can be admitted after that, so this deposit "
        "cannot be confirmed."
    ),
    # Cancelling a live lot: two officials, and a recorded order near the close.
    "cancel.needs_second_official": N_(
        "The lot is %(state)s: a live auction is cancelled by two officials. Request the cancellation with a "
        "reason; another officer of the municipality, or an administrator, confirms it."
    ),
    "cancel.draft_in_one_step": N_("This lot is a draft, never public: cancel it directly, no confirmation is needed."),
    "cancel.reason_missing": N_("Say why the lot is cancelled (5 to 2000 characters); the reason is published."),
    "cancel.already_requested": N_(
        "%(requested_by)s has already asked to cancel this lot: confirm that request, or ask them to withdraw it."
    ),
    "cancel.order_required": N_(
        "The auction closes at %(closes_at)s; from %(lockout_hours)s hours before its close a lot is cancelled only "
        "by a recorded order. Give the order's number, date and issuer, and attach the signed order (PDF)."
    ),
    "cancel.same_official": N_(
        "You asked for this cancellation; another officer of the municipality, or an administrator, must confirm it."
    ),
    "cancel.no_request": N_(
        "Nobody has asked to cancel lot %(lot_id)s, or the lot has moved on since; request the cancellation first."
    ),
    "cancel.withdraw_not_yours": N_("Only the official who asked for the cancellation can withdraw it."),
    "cancel.order_file_missing": N_(
        "Attach the signed order to lot %(lot_id)s as a file of kind 'order', then give that file with the order."
    ),
    "cancel.order_not_live": N_(
        "The lot is %(state)s; a cancellation order is filed only for a published, running or closed auction."
    ),
    # Bidding.
    "bid.officials_excluded": N_("Only registered bidders bid; officials of a lot may never bid on it."),
    "bid.not_applied": N_("Apply to this lot and have your deposit confirmed before bidding."),
    "bid.application_not_approved": N_("Your application is %(status)s; only approved bidders may bid."),
    "bid.idempotency_key_invalid": N_("Send an Idempotency-Key of 8 to 100 characters with every bid."),
    "bid.idempotency_key_reused": N_(
        "This Idempotency-Key was already used for a different bid; use a new key for a new bid."
    ),
    "bid.not_positive": N_("A bid must be a positive amount."),
    "bid.beyond_any_lot": N_("That amount is beyond any lot on this platform; check the number of digits."),
    "bid.too_low": N_("The minimum bid now is %(minimum_tyiyn)s."),
    "bid.format_mismatch": N_("This lot's auction format is %(lot_format)s; %(bid_format)s bids do not apply to it."),
    "bid.lot_not_bidding": N_("The lot is %(state)s; bids are taken only while bidding is open."),
    "bid.too_late": N_("Bidding closed at %(closed_at)s; this bid came too late."),
    "bid.not_opened": N_("Bidding on lot %(lot_id)s has not opened."),
    "bid.not_yours": N_("There is no bid number %(bid_id)s of yours."),
    "sealed_bid.malformed": N_("This sealed bid cannot be accepted (%(reason)s); seal it again."),
    "sealed_bid.none_standing": N_("You have no standing sealed bid on this lot."),
    "bid.already_accepted": N_("You have already accepted this price; you are a contender for the lot."),
    "bid.clock_paused": N_(
        "The platform has just come back from an outage and is recording it; the price stood still meanwhile. "
        "Try again in a few seconds."
    ),
    "runoff.not_running": N_("No run-off is running on this lot."),
    "runoff.not_contender": N_("Only bidders who accepted the price within the same tick take part in its run-off."),
    "runoff.closed": N_("The run-off closed at %(closed_at)s; this offer came too late."),
    "runoff.already_offered": N_("You have already made your one sealed run-off offer."),
    "runoff.bad_nonce": N_("The offer's random nonce must be 22 to 86 base64url characters; make the offer again."),
    "runoff.offer_too_low": N_("A run-off offer must be at least the accepted price, %(minimum_tyiyn)s."),
    "bid.price_above_limit": N_(
        "The price is now %(price_tyiyn)s, above the %(limit_tyiyn)s you signed for; nothing was accepted."
    ),
    # Bidder keys and signed statements (docs/keys.md).
    "statement.missing": N_("Sign this action with your key; it came without a valid signature (%(reason)s)."),
    "statement.bad_signature": N_("The signature on this action does not verify (%(reason)s); sign it again."),
    "statement.unknown_key": N_("This action is signed with a key that may not sign it here (%(reason)s)."),
    "statement.wrong_sequence": N_("This signed action is out of order (%(reason)s); reload the page and sign again."),
    "statement.stale": N_("This signed action is too old or from the future (%(reason)s); sign it again."),
    "key.proof_invalid": N_("The key could not be registered: %(reason)s."),
    "key.label_invalid": N_("Name the key in 1 to %(most)s characters."),
    "key.duplicate": N_("The key %(key_id)s is already registered."),
    "key.too_many": N_("At most %(most)s keys may be active at once; revoke one first."),
    "key.lot_keys_full": N_(
        "You have %(most)s active passkeys made for single lots, the most there may be. On /account/keys, revoke "
        "the passkeys of lots that are finished, then try again."
    ),
    "key.lot_key_elsewhere": N_(
        "The key %(key_id)s was made for your application to lot %(lot_id)s. A key made for one lot goes on no "
        "other: the public ledger would link your two lots. Make a new passkey for this lot."
    ),
    "key.not_found": N_("You have no key %(key_id)s."),
    "key.lot_finished": N_("The lot is %(state)s; its bidders' keys no longer change."),
    "key.bidder_not_found": N_("No bidder %(bidder)s applied to this lot."),
    "key.reason_missing": N_("Say why the bidder's key is replaced (at least 5 characters)."),
    "passkey.no_challenge": N_("Start the passkey registration again: its challenge is missing or used."),
    "passkey.invalid": N_("The passkey could not be registered: %(reason)s."),
    "passkey.lot_without_lot_key": N_("Name a lot only for a passkey made for one lot (lot_key=true)."),
    # Awards.
    "award.lot_not_closed": N_("The lot is %(state)s; only a closed auction is decided."),
    "award.sign_not_winner": N_("Only the bidder the lot is awarded to can sign for it."),
    "award.decline_not_winner": N_("Only the bidder the lot is awarded to can decline it."),
    "award.sign_deadline_passed": N_("The signing deadline has passed; the award has lapsed."),
    "award.none_waiting": N_("This lot has no award waiting for a signature."),
    "award.sealed_bids_unopened": N_("The commission has not opened the sealed bids yet."),
    # After the award: contracts, payments, deposit refunds.
    "contract.instalments_sale_only": N_("Only a sale is paid in instalments; a lease follows its rent schedule."),
    "contract.instalments_closed": N_("The lot is %(state)s or its contract is concluded; the instalments are fixed."),
    "contract.instalments_out_of_range": N_(
        "Choose from 1 to %(most)s instalments, as the municipality's rules allow."
    ),
    "payment.no_contract": N_("The lot has no concluded contract to record a payment against."),
    "payment.line_unknown": N_("The contract's schedule has no line %(number)s."),
    "payment.amount_invalid": N_("A payment must be a positive amount."),
    "payment.more_than_owed": N_("That is more than the line still owes (%(owed_tyiyn)s)."),
    "payment.date_invalid": N_("The payment date must be between the signing (%(signed_on)s) and today."),
    "payment.reference_invalid": N_("Give the bank's payment reference (3 to 100 characters)."),
    "contract.municipality_required": N_("Choose a municipality to list its arrears."),
    "refund.no_deposit": N_("This bidder's deposit was never confirmed; there is nothing to refund."),
    "refund.not_owed": N_("This deposit is not owed back: it is %(fate)s."),
    # The results protocol (docs/keys.md 3).
    "protocol.not_issued": N_("The results protocol of lot %(lot_id)s is not issued yet: the lot is not decided."),
    "protocol.not_member": N_("Only a member of lot %(lot_id)s's commission can sign its results protocol."),
    "protocol.already_signed": N_("You have already signed the results protocol of lot %(lot_id)s."),
    "protocol.unknown_key": N_("The key %(key_id)s is not an active signing key of your account."),
    "protocol.bad_signature": N_("The signature on the results protocol does not verify (%(reason)s)."),
    "lot.commission_not_officers": N_(
        "The commission may hold only officers of the lot's municipality, not %(members)s."
    ),
    "lot.commission_size": N_(
        "A lot's commission has %(least)s to %(most)s officers of its municipality, not %(count)s; "
        "add officers to the municipality or name them."
    ),
    # The sealed-bid commission.
    "commission.lot_not_sealed": N_("Only a sealed-bid lot has a commission; publish this lot normally."),
    "commission.already_published": N_("The lot is %(state)s; it cannot be published again."),
    "commission.threshold_invalid": N_(
        "At least two members must be needed to open the bids, and no more than the commission has."
    ),
    "commission.member_not_officer": N_(
        "Commission member %(member_id)s must be an officer of the lot's municipality."
    ),
    "commission.lot_not_closed": N_("The lot is %(state)s; sealed bids are opened only after bidding has closed."),
    "commission.no_key": N_("This lot has no sealed-bid key."),
    "commission.already_opened": N_("The sealed bids of this lot were already opened."),
    "commission.not_member": N_("User %(user_id)s is not on this lot's commission."),
    "commission.quorum_not_met": N_("%(needed)s commission members must post their shares; %(given)s did."),
    "commission.members_invalid": N_("A commission has 2 to %(most)s distinct members."),
    "commission.no_ceremony": N_("Lot %(lot_id)s has no commission key ceremony; an officer starts it on the draft."),
    "commission.not_your_message": N_("A commission member posts only their own messages, signed with their own key."),
    "commission.already_posted": N_("Member %(member_id)s has already posted this message; it cannot be replaced."),
    "commission.wrong_stage": N_("The key ceremony is at stage %(stage)s; this message belongs to stage %(expected)s."),
    "commission.bad_message": N_("The message of member %(member_id)s is refused: %(reason)s."),
    "commission.ceremony_incomplete": N_(
        "The commission's key ceremony is at stage %(stage)s; the lot is published only once it is complete."
    ),
    "commission.bad_share": N_("The decryption shares of member %(member_id)s are refused: %(reason)s."),
    "commission.not_opening": N_(
        "The lot is %(state)s; decryption shares are posted after the close, before the opening."
    ),
    # Watching: the watchlist and saved searches.
    "watch.lot_not_public": N_("Only published lots can be watched."),
    "watch.too_many_lots": N_("You can watch at most %(limit)s lots. Stop watching one first."),
    "search.not_found": N_("There is no saved search number %(search_id)s."),
    "search.empty": N_("Choose at least one filter before saving a search: without one it would match every lot."),
    "search.filters_invalid": N_("Correct the filters first, then save the search."),
    "search.name_invalid": N_("Give the search a name of 1 to %(limit)s characters."),
    "search.too_many": N_("You can keep at most %(limit)s saved searches. Delete one first."),
    # The request as a whole.
    "request.throttled": N_("Too many attempts from your network address; wait %(minutes)s minutes and try again."),
    "request.json_too_large": N_(
        "The request's body is larger than %(limit_bytes)s bytes; send less (files go as multipart uploads)."
    ),
    "request.json_too_deep": N_("The JSON is nested more than %(limit)s levels deep; send a flatter document."),
    "request.json_too_many_items": N_("The JSON has more than %(limit)s keys and elements; send fewer."),
    "request.nul_character": N_("The text contains a NUL character (code 0), which is never valid here; remove it."),
    "request.number_out_of_range": N_("The number in %(name)s is too large: no record has a number above %(limit)s."),
    "request.not_saved": N_(
        "The database did not confirm the change, so nothing was saved. Try again in a few seconds."
    ),
    "service.unavailable": N_(
        "The platform cannot reach its database right now, so nothing was done. Try again shortly."
    ),
    # The audit ledger.
    "ledger.backlog": N_(
        "The ledger is catching up with a burst of activity; nothing was recorded. Retry in a few seconds."
    ),
    "ledger.unwitnessed": N_(
        "The independent witnesses cannot confirm the time right now; bidding is paused and the close will be "
        "extended. Try again in a minute."
    ),
    "ledger.clock_behind": N_(
        "The platform's clock is behind the time the independent witnesses have confirmed; nothing binding is "
        "taken until it is corrected. Try again in a minute."
    ),
    "ledger.empty": N_("The ledger has no entries yet, so nothing has been signed."),
    "ledger.checkpoint_not_found": N_("No checkpoint of size %(size)s was signed."),
    "ledger.range_invalid": N_("Ask for a range with 0 <= start < end."),
    "opendata.day_malformed": N_("%(day)s is not a day: name the bulk file's day as YYYY-MM-DD."),
    "opendata.file_not_found": N_(
        "There is no open data file %(name)s; the bulk files are releases-YYYY-MM-DD.jsonl and .csv."
    ),
    "ledger.entry_not_integrated": N_("Entry %(index)s is not in the signed tree yet; try again shortly."),
    "ledger.consistency_range_invalid": N_("Ask for 0 < size1 <= size2 <= the latest checkpoint's size."),
    "ledger.body_hash_unknown": N_("No integrated entry has that body hash (yet); integration takes about a second."),
    "ledger.lot_not_published": N_(
        "Lot %(lot_id)s has no publication in the signed ledger yet; it gets there about a second after publishing."
    ),
    "ledger.body_hash_malformed": N_("A body hash is 64 lowercase hex digits, as printed on the receipt."),
    # The inspectors' link key (docs/inspection.md).
    "inspection.inspectors_only": N_("Linking bidders across lots is for inspectors and administrators."),
    "inspection.no_key": N_(
        "No inspection key is pinned in the ledger yet: an administrator creates one with 'auction inspection-key "
        "create'. Nothing was recorded."
    ),
    "inspection.wrong_key": N_(
        "This is not the inspection key in force (its fingerprint starts %(fingerprint)s). Nothing was recorded."
    ),
    "inspection.key_missing": N_("Paste the inspection key."),
    "inspection.key_malformed": N_("The inspection key is 43 characters of base64url (letters, digits, - and _)."),
    "inspection.key_length": N_("The inspection key is 32 bytes (43 characters); this one is %(length)s bytes."),
    "inspection.purpose_length": N_(
        "Give the purpose (a case number or reason) in %(minimum)s to %(maximum)s characters."
    ),
    "inspection.key_pinned": N_(
        "An inspection key is already in force (its fingerprint starts %(fingerprint)s); replace it with --rotate."
    ),
}


def english_value(name: str, value: Param) -> str:
    """A parameter as the English template shows it: money with its unit, a moment in Bishkek time (the time
    officers and bidders live by), everything else as it is."""
    if name.endswith(MONEY_SUFFIX):
        return f"{value} tyiyn"
    if name.endswith(MOMENT_SUFFIX) and isinstance(value, str):
        try:
            local = datetime.fromisoformat(value).astimezone(BISHKEK)
        except ValueError:
            return value
        return f"{local.day} {local:%B %Y, %H:%M} (Bishkek)"
    return str(value)


def render(code: str, params: Mapping[str, Param]) -> str:
    """The English sentence of a refusal; an unregistered code or a missing parameter is a bug (KeyError)."""
    return REFUSALS[code] % {name: english_value(name, value) for name, value in params.items()}


class Breach(Protocol):
    """Anything a pure rule reports a broken rule with: a Problem here, or the offline verifier's own RuleBreach."""

    @property
    def code(self) -> str: ...
    @property
    def field(self) -> str | None: ...
    @property
    def params(self) -> Mapping[str, Param]: ...


class Problem:
    """One broken rule as pure rules report it: its code, its values, and the field the person must change."""

    __slots__ = ("code", "field", "params")

    def __init__(self, code: str, /, *, field: str | None = None, **params: Param) -> None:
        render(code, params)  # refuse an unknown code or a missing value here, where the rule is written
        self.code = code
        self.field = field
        self.params: dict[str, Param] = params

    @classmethod
    def of(cls, breach: Breach) -> Problem:
        """The problem a pure rule elsewhere (the offline verifier's `RuleBreach`) reported, as the platform's."""
        return cls(breach.code, field=breach.field, **breach.params)

    @property
    def message(self) -> str:
        return render(self.code, self.params)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"Problem({self.code!r}, field={self.field!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return (self.code, self.field, self.params) == (other.code, other.field, other.params)

    def __hash__(self) -> int:
        return hash((self.code, self.field, tuple(sorted(self.params.items()))))

    def as_dict(self) -> dict[str, object]:
        """The problem as the API shows it: the field, the English sentence, and the code and values to translate."""
        return {"field": self.field, "message": self.message, "code": self.code, "params": dict(self.params)}
