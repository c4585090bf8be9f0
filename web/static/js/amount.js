// The amount a bidder confirms before signing: in figures as the site writes som, in words (ky, ru, en), and the
// rule that asks a second time when a bid is far above the price it answers. Word for word the same as
// auction/money_words.py and auction/bidding/confirmation.py, whose module docstrings explain the choices; the cases
// in tests/data/amount_words.json are checked against both (change all three together). No DOM, no dependencies.

export const TYIYN_PER_SOM = 100;
export const MAX_SOM = 10 ** 12 - 1;
export const MAX_RATIO = 3;
export const MAX_STEPS = 10;
const LANGUAGES = ["ky", "ru", "en"];

const KY_ONES = ["", "бир", "эки", "үч", "төрт", "беш", "алты", "жети", "сегиз", "тогуз"];
const KY_TENS = ["", "он", "жыйырма", "отуз", "кырк", "элүү", "алтымыш", "жетимиш", "сексен", "токсон"];
const KY_SCALES = ["", "миң", "миллион", "миллиард"];

const RU_ONES_MASCULINE = ["", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"];
const RU_ONES_FEMININE = ["", "одна", "две", ...RU_ONES_MASCULINE.slice(3)];
const RU_TEENS = [
  "десять",
  "одиннадцать",
  "двенадцать",
  "тринадцать",
  "четырнадцать",
  "пятнадцать",
  "шестнадцать",
  "семнадцать",
  "восемнадцать",
  "девятнадцать",
];
const RU_TENS = ["", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят", "девяносто"];
const RU_HUNDREDS = ["", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот", "девятьсот"];
// Each scale's forms for one, two to four, and five and more; and whether its numerals are feminine.
const RU_SCALES = [
  [["", "", ""], false],
  [["тысяча", "тысячи", "тысяч"], true],
  [["миллион", "миллиона", "миллионов"], false],
  [["миллиард", "миллиарда", "миллиардов"], false],
];

const EN_ONES = [
  "",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
];
const EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
const EN_SCALES = ["", "thousand", "million", "billion"];

const ZERO = { ky: "нөл", ru: "ноль", en: "zero" };
const SOM = { ky: "сом", ru: "сом", en: "som" };
const TYIYN = { ky: "тыйын", ru: "тыйын", en: "tyiyn" };
const JOIN = { ky: " ", ru: " ", en: " and " };
// How babel writes numbers for the site's languages (CLDR): the grouping and decimal marks.
const GROUP = { ky: "\u00a0", ru: "\u00a0", en: "," };
const DECIMAL = { ky: ",", ru: ",", en: "." };

function groups(number) {
  const out = [];
  while (number > 0) {
    out.push(number % 1000);
    number = Math.floor(number / 1000);
  }
  return out;
}

function kyTriple(n) {
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  const words = [];
  if (hundreds) words.push(...(hundreds > 1 ? [KY_ONES[hundreds]] : []), "жүз");
  return words.concat([KY_TENS[Math.floor(rest / 10)], KY_ONES[rest % 10]].filter(Boolean));
}

function ruTriple(n, feminine) {
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  const words = hundreds ? [RU_HUNDREDS[hundreds]] : [];
  const tens = Math.floor(rest / 10);
  const ones = rest % 10;
  if (tens === 1) return [...words, RU_TEENS[ones]];
  if (tens) words.push(RU_TENS[tens]);
  if (ones) words.push((feminine ? RU_ONES_FEMININE : RU_ONES_MASCULINE)[ones]);
  return words;
}

// Russian agreement: 1, 21 тысяча; 2-4, 22 тысячи; 5-20, 25, 11-14 тысяч.
function ruForm(n, forms) {
  if (n % 100 >= 11 && n % 100 <= 14) return forms[2];
  if (n % 10 === 1) return forms[0];
  return n % 10 >= 2 && n % 10 <= 4 ? forms[1] : forms[2];
}

function enTriple(n) {
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  const words = hundreds ? [EN_ONES[hundreds], "hundred"] : [];
  if (rest >= 20) {
    const ones = rest % 10;
    words.push(EN_TENS[Math.floor(rest / 10)] + (ones ? `-${EN_ONES[ones]}` : ""));
  } else if (rest) {
    words.push(EN_ONES[rest]);
  }
  return words;
}

function checkLanguage(language) {
  if (!LANGUAGES.includes(language)) throw new RangeError(`no words for the language ${language}`);
}

/** A whole number from 0 to MAX_SOM in words: numberInWords(21, "ky") === "жыйырма бир". */
export function numberInWords(number, language) {
  checkLanguage(language);
  if (!Number.isSafeInteger(number) || number < 0 || number > MAX_SOM) {
    throw new RangeError(`${number} is outside 0 to ${MAX_SOM}`);
  }
  if (number === 0) return ZERO[language];
  const words = [];
  const all = groups(number);
  for (let scale = all.length - 1; scale >= 0; scale -= 1) {
    const group = all[scale];
    if (!group) continue;
    if (language === "ky") {
      words.push(...kyTriple(group), ...(scale ? [KY_SCALES[scale]] : []));
    } else if (language === "ru") {
      const [forms, feminine] = RU_SCALES[scale];
      words.push(...ruTriple(group, feminine), ...(scale ? [ruForm(group, forms)] : []));
    } else {
      words.push(...enTriple(group), ...(scale ? [EN_SCALES[scale]] : []));
    }
  }
  return words.join(" ");
}

/** An amount of tyiyn in words: somInWords(2800000, "ky") === "жыйырма сегиз миң сом". */
export function somInWords(tyiyn, language) {
  if (!Number.isSafeInteger(tyiyn) || tyiyn < 0) throw new RangeError(`${tyiyn} is not a whole number of tyiyn`);
  const som = Math.floor(tyiyn / TYIYN_PER_SOM);
  const rest = tyiyn % TYIYN_PER_SOM;
  const parts = [];
  if (som || !rest) parts.push(`${numberInWords(som, language)} ${SOM[language]}`);
  if (rest) parts.push(`${numberInWords(rest, language)} ${TYIYN[language]}`);
  return parts.join(JOIN[language]);
}

/**
 * An amount in figures as the server's babel writes it (web/lib/formatting.format_som): "28 000 сом",
 * "1,250.50 som"; grouped with no-break spaces in ky and ru, tyiyn only when there are any. `unit` is the
 * translated word for som.
 */
export function somInFigures(tyiyn, language, unit) {
  checkLanguage(language);
  if (!Number.isSafeInteger(tyiyn)) throw new RangeError(`${tyiyn} is not a whole number of tyiyn`);
  const sign = tyiyn < 0 ? "-" : "";
  const whole = Math.floor(Math.abs(tyiyn) / TYIYN_PER_SOM);
  const rest = Math.abs(tyiyn) % TYIYN_PER_SOM;
  const grouped = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, GROUP[language]);
  const fraction = rest ? `${DECIMAL[language]}${String(rest).padStart(2, "0")}` : "";
  return `${sign}${grouped}${fraction}\u00a0${unit}`;
}

/** Figures and words together, the line a bidder reads before signing: "28 000 сом — жыйырма сегиз миң сом". */
export function somInFull(tyiyn, language, unit) {
  return `${somInFigures(tyiyn, language, unit)} — ${somInWords(tyiyn, language)}`;
}

/**
 * Whether a bid of `amount` is far above `price` (the current price, or the starting price before the first
 * bid): more than MAX_RATIO times it, or, when `step` is given (open auctions), more than MAX_STEPS steps above.
 */
export function farAbove(amount, price, step) {
  if (!(price > 0)) return false;
  if (amount > MAX_RATIO * price) return true;
  return step !== null && step !== undefined && step > 0 && amount - price > MAX_STEPS * step;
}

/** How many times the price a bid is, rounded down, for the warning's words. */
export function timesPrice(amount, price) {
  return price > 0 ? Math.floor(amount / price) : 0;
}
