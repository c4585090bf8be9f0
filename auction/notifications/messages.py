"""Notices rendered in the recipient's language: subject and plain-text body (pure, no I/O).

Amounts (``*_tyiyn``) are shown in som, moments (``*_at``, UTC) in Asia/Bishkek, and ``lot_id`` becomes a link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from auction.clock import BISHKEK
from auction.money import format_som_number
from auction.notifications.kinds import LANGUAGES

FALLBACK_LANGUAGE: Final = "ru"

# (subject, body) per kind and language; {placeholders} are the rendered params.
MESSAGES: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "application.received": {
        "ky": (
            "Арызыңыз кабыл алынды: {lot_title}",
            "Сиз «{lot_title}» лотунун аукционуна катышууга арыз бердиңиз. Кепилдик акы келип түшкөндөн кийин "
            "кызматкер арызыңызды карап чыгат.",
        ),
        "ru": (
            "Заявка принята: {lot_title}",
            "Вы подали заявку на участие в торгах по лоту «{lot_title}». Когда поступит задаток, сотрудник "
            "рассмотрит заявку.",
        ),
        "en": (
            "Application received: {lot_title}",
            "You applied to take part in the auction of “{lot_title}”. An officer will review your application "
            "once your deposit arrives.",
        ),
    },
    "application.new": {
        "ky": (
            "Жаңы арыз: {lot_title}",
            "«{lot_title}» лотуна жаңы арыз келди. Кепилдик акыны текшерип, арызды карап чыгыңыз.",
        ),
        "ru": (
            "Новая заявка: {lot_title}",
            "По лоту «{lot_title}» поступила новая заявка. Проверьте задаток и рассмотрите заявку.",
        ),
        "en": (
            "New application: {lot_title}",
            "A new application arrived for “{lot_title}”. Check the deposit and review the application.",
        ),
    },
    "deposit.confirmed": {
        "ky": (
            "Кепилдик акы тастыкталды: {lot_title}",
            "Кепилдик акыңыз келип түштү: сиз «{lot_title}» лотунун аукционуна катышууга уруксат алдыңыз. "
            "Соода {opens_at} башталат.",
        ),
        "ru": (
            "Задаток подтверждён: {lot_title}",
            "Ваш задаток поступил: вы допущены к торгам по лоту «{lot_title}». Торги начнутся {opens_at}.",
        ),
        "en": (
            "Deposit confirmed: {lot_title}",
            "Your deposit arrived: you may bid in the auction of “{lot_title}”. Bidding opens {opens_at}.",
        ),
    },
    "application.rejected": {
        "ky": (
            "Арызыңыз четке кагылды: {lot_title}",
            "«{lot_title}» лоту боюнча арызыңыз четке кагылды. Себеби: {reason}",
        ),
        "ru": (
            "Заявка отклонена: {lot_title}",
            "Ваша заявка по лоту «{lot_title}» отклонена. Причина: {reason}",
        ),
        "en": (
            "Application rejected: {lot_title}",
            "Your application for “{lot_title}” was rejected. Reason: {reason}",
        ),
    },
    "bidding.opened": {
        "ky": (
            "Соода башталды: {lot_title}",
            "«{lot_title}» лоту боюнча соода башталды. Соода {closes_at} жабылат.",
        ),
        "ru": (
            "Торги открыты: {lot_title}",
            "Торги по лоту «{lot_title}» начались. Они закроются {closes_at}.",
        ),
        "en": (
            "Bidding is open: {lot_title}",
            "Bidding on “{lot_title}” has opened. It closes {closes_at}.",
        ),
    },
    "bid.outbid": {
        "ky": (
            "Сунушуңуздан жогору баа берилди: {lot_title}",
            "«{lot_title}» лотуна {amount} сунуш түштү — бул сиздин сунушуңуздан жогору. Соода {closes_at} жабылат.",
        ),
        "ru": (
            "Вашу ставку перебили: {lot_title}",
            "По лоту «{lot_title}» сделана ставка {amount} — выше вашей. Торги закроются {closes_at}.",
        ),
        "en": (
            "You have been outbid: {lot_title}",
            "Someone bid {amount} on “{lot_title}”, above your bid. Bidding closes {closes_at}.",
        ),
    },
    "auction.extended": {
        "ky": (
            "Соода узартылды: {lot_title}",
            "Акыркы мүнөттөрдө сунуш түшкөндүктөн, «{lot_title}» лоту боюнча соода {closes_at} чейин узартылды.",
        ),
        "ru": (
            "Торги продлены: {lot_title}",
            "Из-за ставки в последние минуты торги по лоту «{lot_title}» продлены до {closes_at}.",
        ),
        "en": (
            "Bidding extended: {lot_title}",
            "A bid came in the last minutes, so bidding on “{lot_title}” now closes {closes_at}.",
        ),
    },
    "auction.closed": {
        "ky": (
            "Соода жабылды: {lot_title}",
            "«{lot_title}» лоту боюнча соода жабылды. Жыйынтыгын лоттун барагынан көрүңүз.",
        ),
        "ru": (
            "Торги завершены: {lot_title}",
            "Торги по лоту «{lot_title}» завершены. Итоги — на странице лота.",
        ),
        "en": (
            "Bidding closed: {lot_title}",
            "Bidding on “{lot_title}” has closed. The result is on the lot's page.",
        ),
    },
    "award.won": {
        "ky": (
            "Сиз жеңдиңиз: {lot_title}",
            "Куттуктайбыз! Сиз «{lot_title}» лотунун аукционунда {amount} баа менен жеңдиңиз. Жыйынтыкка "
            "{sign_deadline_at} чейин кол коюңуз, антпесеңиз жеңиш экинчи орундагы катышуучуга өтөт.",
        ),
        "ru": (
            "Вы победили: {lot_title}",
            "Поздравляем! Вы победили в торгах по лоту «{lot_title}» с ценой {amount}. Подпишите итоги до "
            "{sign_deadline_at}, иначе победа перейдёт участнику со вторым местом.",
        ),
        "en": (
            "You won: {lot_title}",
            "Congratulations! You won the auction of “{lot_title}” at {amount}. Sign the result by "
            "{sign_deadline_at}, or the award passes to the runner-up.",
        ),
    },
    "deadline.signing": {
        "ky": (
            "Кол коюу мөөнөтү бүтүп баратат: {lot_title}",
            "«{lot_title}» лоту боюнча жыйынтыкка кол коюу мөөнөтү {sign_deadline_at} бүтөт.",
        ),
        "ru": (
            "Срок подписания истекает: {lot_title}",
            "Срок подписания итогов по лоту «{lot_title}» истекает {sign_deadline_at}.",
        ),
        "en": (
            "Signing deadline approaching: {lot_title}",
            "The deadline to sign the result of “{lot_title}” is {sign_deadline_at}.",
        ),
    },
    "deposit.refunded": {
        "ky": (
            "Кепилдик акы кайтарылды: {lot_title}",
            "«{lot_title}» лоту боюнча кепилдик акыңыз кайтарылды.",
        ),
        "ru": (
            "Задаток возвращён: {lot_title}",
            "Ваш задаток по лоту «{lot_title}» возвращён.",
        ),
        "en": (
            "Deposit refunded: {lot_title}",
            "Your deposit for “{lot_title}” has been refunded.",
        ),
    },
    "officer.deadline": {
        "ky": (
            "Мөөнөт жакындап калды: {lot_title}",
            "«{lot_title}» лоту боюнча иш-аракет жасоо мөөнөтү {due_at} бүтөт.",
        ),
        "ru": (
            "Приближается срок: {lot_title}",
            "Срок действия по лоту «{lot_title}» истекает {due_at}.",
        ),
        "en": (
            "A deadline is near: {lot_title}",
            "The deadline to act on “{lot_title}” is {due_at}.",
        ),
    },
    "account.password_reset": {
        "ky": (
            "Achyk: сырсөздү калыбына келтирүү",
            "Achyk сайтында бул даректин сырсөзүн өзгөртүү суралды. Жаңы сырсөз коюу үчүн шилтемени ачыңыз "
            "(ал {minutes} мүнөт жана бир гана жолу иштейт):\n{reset_link}\n\n"
            "Эгер сиз сураган эмес болсоңуз, бул катка көңүл бурбаңыз: сырсөзүңүз өзгөргөн жок.",
        ),
        "ru": (
            "Achyk: восстановление пароля",
            "На сайте Achyk запрошена смена пароля для этого адреса. Чтобы задать новый пароль, откройте ссылку "
            "(она действует {minutes} мин. и только один раз):\n{reset_link}\n\n"
            "Если вы этого не запрашивали, просто не обращайте внимания на письмо: пароль не изменился.",
        ),
        "en": (
            "Achyk: reset your password",
            "Someone asked to reset the Achyk password of this address. To choose a new password open this link "
            "(it works for {minutes} minutes, once):\n{reset_link}\n\n"
            "If it was not you, ignore this message: your password has not changed.",
        ),
    },
    "search.match": {
        "ky": (
            "«{search_name}» издөөңүзгө жаңы лот: {lot_title}",
            "Сакталган «{search_name}» издөөңүзгө туура келген лот жарыяланды: «{lot_title}», баштапкы баасы "
            "{starting_price}. Соода {opens_at} башталат. Катышуу үчүн ага чейин арыз берип, кепилдик акы төлөңүз.",
        ),
        "ru": (
            "Новый лот по поиску «{search_name}»: {lot_title}",
            "Опубликован лот, подходящий под ваш сохранённый поиск «{search_name}»: «{lot_title}», начальная цена "
            "{starting_price}. Торги начнутся {opens_at}. Чтобы участвовать, подайте заявку и внесите задаток заранее.",
        ),
        "en": (
            "New lot for your search “{search_name}”: {lot_title}",
            "A lot matching your saved search “{search_name}” was published: “{lot_title}”, starting price "
            "{starting_price}. Bidding opens {opens_at}. To take part, apply and pay the deposit before then.",
        ),
    },
    "watch.bidding_opened": {
        "ky": (
            "Сиз көз салган лот боюнча соода башталды: {lot_title}",
            "Сиз көз салган «{lot_title}» лоту боюнча соода башталды. Сооданын жүрүшүн лоттун барагынан көрө аласыз.",
        ),
        "ru": (
            "Начались торги по отслеживаемому лоту: {lot_title}",
            "Торги по лоту «{lot_title}», за которым вы следите, начались. Ход торгов виден на странице лота.",
        ),
        "en": (
            "Bidding is open on a lot you watch: {lot_title}",
            "Bidding on “{lot_title}”, a lot you watch, has opened. You can follow it on the lot's page.",
        ),
    },
    "watch.extended": {
        "ky": (
            "Сиз көз салган лот боюнча соода узартылды: {lot_title}",
            "Акыркы мүнөттөрдө сунуш түшкөндүктөн, сиз көз салган «{lot_title}» лоту боюнча соода {closes_at} чейин "
            "узартылды.",
        ),
        "ru": (
            "Торги по отслеживаемому лоту продлены: {lot_title}",
            "Из-за ставки в последние минуты торги по лоту «{lot_title}», за которым вы следите, продлены до "
            "{closes_at}.",
        ),
        "en": (
            "Bidding extended on a lot you watch: {lot_title}",
            "A bid came in the last minutes, so bidding on “{lot_title}”, a lot you watch, now closes {closes_at}.",
        ),
    },
    "watch.closed": {
        "ky": (
            "Сиз көз салган лот боюнча соода жабылды: {lot_title}",
            "Сиз көз салган «{lot_title}» лоту боюнча соода жабылды. Жыйынтыгы лоттун барагында жарыяланат.",
        ),
        "ru": (
            "Торги по отслеживаемому лоту завершены: {lot_title}",
            "Торги по лоту «{lot_title}», за которым вы следите, завершены. Итоги будут на странице лота.",
        ),
        "en": (
            "Bidding closed on a lot you watch: {lot_title}",
            "Bidding on “{lot_title}”, a lot you watch, has closed. The result will be on the lot's page.",
        ),
    },
    "watch.awarded": {
        "ky": (
            "Жеңүүчү аныкталды: {lot_title}",
            "Сиз көз салган «{lot_title}» лотунун аукционунда жеңүүчү аныкталды. Жыйынтыгы лоттун барагында.",
        ),
        "ru": (
            "Определён победитель: {lot_title}",
            "По лоту «{lot_title}», за которым вы следите, определён победитель торгов. Итоги — на странице лота.",
        ),
        "en": (
            "A winner is named: {lot_title}",
            "The auction of “{lot_title}”, a lot you watch, has a winner. The result is on the lot's page.",
        ),
    },
    "watch.failed": {
        "ky": (
            "Аукцион болбой калды: {lot_title}",
            "Сиз көз салган «{lot_title}» лотунун аукциону болбой калды деп таанылды. Муниципалитет лотту кайра "
            "аукционго чыгарышы мүмкүн.",
        ),
        "ru": (
            "Торги не состоялись: {lot_title}",
            "Торги по лоту «{lot_title}», за которым вы следите, признаны несостоявшимися. Муниципалитет может "
            "выставить лот повторно.",
        ),
        "en": (
            "The auction did not take place: {lot_title}",
            "The auction of “{lot_title}”, a lot you watch, did not take place. The municipality may offer the lot "
            "again.",
        ),
    },
    "watch.cancelled": {
        "ky": (
            "Аукцион жокко чыгарылды: {lot_title}",
            "Сиз көз салган «{lot_title}» лотунун аукциону жокко чыгарылды. Кененирээк маалымат лоттун барагында.",
        ),
        "ru": (
            "Торги отменены: {lot_title}",
            "Торги по лоту «{lot_title}», за которым вы следите, отменены. Подробности — на странице лота.",
        ),
        "en": (
            "Auction cancelled: {lot_title}",
            "The auction of “{lot_title}”, a lot you watch, has been cancelled. The lot's page says more.",
        ),
    },
}

_LOT_LINK: Final = {"ky": "Лоттун барагы", "ru": "Страница лота", "en": "The lot's page"}
_PREFERENCES: Final = {
    "ky": "Кайсы билдирүүлөрдү алууну профилиңизден тандаңыз",
    "ru": "Какие уведомления получать, можно выбрать в профиле",
    "en": "Choose which notices you get on your profile",
}
_BISHKEK_TIME: Final = {"ky": "Бишкек убактысы", "ru": "время Бишкека", "en": "Bishkek time"}
_SOM: Final = {"ky": "сом", "ru": "сом", "en": "som"}


@dataclass(frozen=True, slots=True)
class Rendered:
    language: str
    subject: str
    body: str

    @property
    def short(self) -> str:
        """One text for SMS or a chat: the subject and the body's first paragraph."""
        return f"{self.subject}\n{self.body.split(chr(10) + chr(10))[0]}"


def language_of(preferred: str | None) -> str:
    return preferred if preferred in LANGUAGES else FALLBACK_LANGUAGE


def format_amount(tyiyn: int, language: str) -> str:
    """An amount as the site writes it in ``language``: ``28 000 сом``, ``28 000,50 сом``, ``28,000.50 som``."""
    return f"{format_som_number(tyiyn, language)}\u00a0{_SOM[language]}"


def format_moment(value: str, language: str) -> str:
    """An ISO 8601 UTC moment as the recipient reads it: day and minute in Bishkek."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(BISHKEK)
    return f"{local:%d.%m.%Y %H:%M} ({_BISHKEK_TIME[language]})"


def render(kind: str, params: Mapping[str, str | int], language: str, base_url: str) -> Rendered:
    """The notice ``kind`` in ``language`` (ky, ru or en; others fall back to Russian)."""
    language = language_of(language)
    subject, body = MESSAGES[kind][language]
    values: dict[str, str] = {}
    for name, value in params.items():
        if name.endswith("_tyiyn"):
            values[name.removesuffix("_tyiyn")] = format_amount(int(value), language)
        elif name.endswith("_at"):
            values[name] = format_moment(str(value), language)
        else:
            values[name] = str(value)
    base = base_url.rstrip("/")
    title = params.get(f"lot_title_{language}") or next(
        (params[f"lot_title_{other}"] for other in LANGUAGES if params.get(f"lot_title_{other}")), None
    )
    if title is not None:
        values["lot_title"] = str(title)
    elif "lot_id" in params:
        values.setdefault("lot_title", f"#{params['lot_id']}")
    text = body.format_map(values)
    if "lot_id" in params:
        text += f"\n\n{_LOT_LINK[language]}: {base}/lots/{params['lot_id']}"
    if kind != "account.password_reset":
        text += f"\n\n{_PREFERENCES[language]}: {base}/account/profile"
    return Rendered(language, subject.format_map(values), text + "\n")
