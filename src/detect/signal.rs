//! Counterfeit signal terms and compatibility phrases.

use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{AhoCorasick, Anchored, MatchKind};
use unicode_normalization::UnicodeNormalization;

use super::index::with_scratch;
use super::normalize::{FlippedReadings, FoldedText, Level, WORD, fold_exact, fold_obfuscated};
use super::vocabulary;

/// Words that advertise a copy (DESIGN.md, "counterfeit signal terms").
/// Folded at the exact level, so case, width and diacritics do not matter.
const SIGNAL_TERMS: &[&str] = &[
    "replica",
    "replicas",
    "fake",
    "fakes",
    "1:1",
    "AAA",
    "mirror quality",
    "super copy",
    "supercopy",
    "dupe",
    "dupes",
    "inspired by",
    "knockoff",
    "knock-off",
    "knockoffs",
    "knock-offs",
    // Right after a name only ([`FOLLOWING_TERMS`]).
    "knock off",
    "high copy",
    // Written as one word, anywhere, as `supercopy` is (`Aurelle
    // HIGHCOPY`): no copier's duty is written so.
    "highcopy",
    "counterfeit",
    "imitation",
    "高仿",
    "复刻",
    "原单",
    "A货",
    "仿品",
    "精仿",
    "1比1",
    // Seen in listings beyond DESIGN.md's examples (its list ends with "…").
    "super clone",
    "superclone",
    "AAAAA",
    "first copy",
    "master copy",
    "mirror grade",
    "replika",
    "replique",
    "repliques",
    "1to1",
    "superfake",
    "AAAA",
    "inspired",
    "一比一",
    "尾单",
    "超A",
    // The traditional forms of the CJK terms that have one, and `髙`, a
    // variant of `高` (`髙仿`).
    "複刻",
    "原單",
    "尾單",
    "髙仿",
    // The listed terms in other languages: `replica` (Russian, Korean,
    // German), `super copy` (Japanese), `mirror quality` (French, and
    // Korean `mirror grade`), `master copy` (Arabic), and the trades' own
    // words for a copy's grade (Japanese `N級品`, Indonesian `KW super`)
    // and for a fake (Korean `짝퉁`).
    "реплика",
    "реплики",
    "реплику",
    "реплик",
    "репликой",
    "реплике",
    "репликами",
    "репликах",
    "레플리카",
    "replik",
    "スーパーコピー",
    "スーパー コピー",
    // Japanese `copy goods`, the usual word for counterfeits there.
    "コピー品",
    "qualité miroir",
    "미러급",
    "ماستر كوبي",
    "الماستر كوبي",
    "ماستركوبي",
    "N級品",
    "kw super",
    "짝퉁",
    // `imitation` in Italian, Spanish and Portuguese (the singular only,
    // as in English: `diffidate dalle imitazioni`, beware of imitations,
    // warns against them); Russian `exact copy` and `luxury copy`, in
    // their cases (`копия` alone is also a receipt's or a document's copy:
    // `есть копия чека`, as English `copy` alone is no term); Thai `copy
    // work` (`งานก๊อป`, also written with `็` or `บ`) and `mirror grade`.
    "imitazione",
    "imitación",
    "imitação",
    "точная копия",
    "точную копию",
    "точной копии",
    "точной копией",
    "точные копии",
    "точных копий",
    "точными копиями",
    "люкс копия",
    "люкс копии",
    "люкс копию",
    "люкс копией",
    "копия люкс",
    "копии люкс",
    "копию люкс",
    "копией люкс",
    "копия класса люкс",
    "копии класса люкс",
    "копию класса люкс",
    "копией класса люкс",
    "งานก๊อป",
    "งานก็อป",
    "งานก๊อบ",
    "งานก็อบ",
    "เกรดมิเรอร์",
    // The trade's slang for a replica (`Aurelle rep watch`), a whole word:
    // not after a word that makes it a representative (`sales rep`), nor
    // before a fabric's or a repetition's word (`rep tie`, `rep range`:
    // [`OTHER_SENSES`]). `1:1` written with words (`1 to 1`), with the
    // other senses of `1:1` (a ratio, a warranty, a one-to-one meeting:
    // `1 to 1 coaching`), and Korean `imitation` (`이미테이션`), not before a
    // material (`이미테이션 진주`, imitation pearls), as the English word.
    "rep",
    "1 to 1",
    "이미테이션",
];

/// Replica grades (`7A quality`), signal terms at the exact level only: the
/// obfuscation fold reads a digit in a word as a letter (`TA quality`). A
/// grade alone is an electric current (`10A fuse`); `3A` and `4A` are `AAA`
/// and `AAAA`; `5A` is also the usual grade of cubic zirconia, and in a text
/// about it names that ([`TEXT_SENSES`]).
const GRADE_TERMS: &[&str] = &[
    "triple a quality",
    "triple a grade",
    "3A quality",
    "4A quality",
    "5A quality",
    "6A quality",
    "7A quality",
    "8A quality",
    "9A quality",
    "10A quality",
    "3A grade",
    "4A grade",
    "5A grade",
    "6A grade",
    "7A grade",
    "8A grade",
    "9A grade",
    "10A grade",
];

/// Phrases that, right before a mention, make it nominative use ("case for
/// iPhone"). Exact-folded. DESIGN.md's (`for`, `compatible with`, `fits`,
/// `适用于`), and the forms sellers write them in: `to fit`, and in Chinese
/// `适用` (without `于`), `用于` (used for), `适合` (suits), `适配` (fits)
/// and `兼容` (compatible), the usual words of a Chinese accessory's title.
/// Closed (unlike the signal terms): a wider one would let sellers weaken
/// any mention.
///
/// The Chinese ones are also written in traditional characters, wholly or
/// in part (`適用於`): the same phrase, as `複刻` is the same term as `复刻`.
///
/// Titles in other languages write `for` as French `pour`, Spanish and
/// Portuguese `para`, Italian `per`, Dutch `voor` and Russian `для`
/// (`Coque pour Orvanta X12`, `Funda para Orvanta X12`), and `compatible
/// with` as `compatible avec`, `compatible con`, `compatibile con`,
/// `compatível com` and `kompatibel mit`: whole words as the others
/// (`Downpour`, `Prepara`, `Paraguay` are none); German
/// `für` folds to the English word `fur` (`Faux fur Vellano bag`) and is
/// read as written ([`written_compatibility_before`]). A list's heading
/// (`Compatible models: Orvanta X12`) says the same as `compatible with`
/// (not `works with`, which the corpus keeps strong as no phrase of
/// DESIGN.md's: `cp-11`); a phrase weakens the mention right after it only,
/// not the rest of a list (`Orvanta X13` in `Compatible models: Orvanta
/// X12, Orvanta X13`), as after any phrase. `compatible w/` and `for use
/// with`, which the fold cannot tell from other text, are read as written
/// ([`WRITTEN_PHRASES`]).
const COMPATIBILITY_PHRASES: &[&str] = &[
    "for",
    "compatible with",
    "fits",
    "to fit",
    "compatible model",
    "compatible models",
    "pour",
    "para",
    "per",
    "voor",
    "для",
    "compatible avec",
    "compatible con",
    "compatibile con",
    "compatível com",
    "kompatibel mit",
    "适用于",
    "適用於",
    "适用於",
    "適用于",
    "适用",
    "適用",
    "用于",
    "用於",
    "适合",
    "適合",
    "适配",
    "適配",
    "兼容",
];

/// Words right after a mention that make it nominative use, as a phrase
/// before it does (`Aurelle compatible strap`, `Aurelle-compatible`).
/// Exact-folded, whole words.
const COMPATIBLE_AFTER: &[&str] = &["compatible"];

/// `专用` (for use with) after a mention (`奥瑞尔专用表带`), or after one
/// model's word of ASCII letters and digits or two CJK characters after it
/// (`奥凡塔X12专用`, `奥瑞尔手表专用`): nominative use. In traditional
/// characters `專用`, and in Japanese kanji `専用` (`Orvanta X12専用ケース`);
/// Chinese `通用` (universal, fits: `奥凡塔X12通用`), Japanese `対応`
/// (supports: `Aurelle対応`; Chinese `对应`, `對應`), and Korean `호환` (compatible) and `전용`
/// (dedicated) the same way. Exact-folded in [`DEDICATED`] (the exact fold
/// writes Hangul as its jamo).
const DEDICATED_AFTER: &[&str] = &[
    "专用", "專用", "専用", "通用", "対応", "对应", "對應", "호환", "전용",
];

/// Turkish `için` (for), exact-folded, which follows what it is for
/// (`Orvanta X12 için kılıf`, a case for the Orvanta X12): after a name, or
/// its model, nominative use as [`DEDICATED_AFTER`] is; a whole word.
const TURKISH_FOR: &str = "icin";

/// Japanese `用` (for use with) right after a name or its model
/// (`Aurelle用ベルト`, `Orvanta X12用 ケース`), before kana, a space or the
/// end: nominative use as [`DEDICATED_AFTER`] is. Before a Han character it
/// begins or ends another word as often: Chinese `用户` (user: `Aurelle用户`
/// speaks of the brand's own users), `用品` (goods), `用心` (care), so there
/// it is not read.
const JAPANESE_USE: &str = "用";

/// Whether `rest` (an exact fold after a name or its model) begins with
/// [`JAPANESE_USE`] as a word of its own: kana, a space or the end after.
fn japanese_use_after(rest: &str) -> bool {
    rest.strip_prefix(JAPANESE_USE)
        .is_some_and(|r| r.chars().next().is_none_or(|c| c == ' ' || is_kana(c)))
}

/// The bytes after a mention read for the word after it: more than the
/// longest of [`COMPATIBLE_AFTER`] and [`ADMIRERS`], so that a longer word
/// cut there is none of them.
const NEXT_WORD_MAX: usize = 16;

/// Words right after a mention that name someone who likes the brand, not
/// goods that fit it: after them a compatibility phrase names a buyer
/// (`watch for Aurelle fans`, `fits Aurelle style`), and the mention is
/// not weakened. Exact-folded, whole words.
const ADMIRERS: &[&str] = &[
    "enthusiast",
    "enthusiasts",
    "fan",
    "fans",
    "look",
    "lover",
    "lovers",
    "style",
];

/// Words that, right before a Latin signal term, say the opposite of a copy
/// ("anti-counterfeit hologram", "anti-fake code"). Exact-folded.
const NEGATING_WORDS: &[&str] = &["anti"];

/// Signal terms that name something else in some company: (term, words
/// right before it, words right after it), one separator space allowed
/// between; Latin words match whole. Exact-folded.
/// - `A货` after `天然` (natural) or `玉` (jade), or beside `翡翠` (jadeite)
///   is the trade's name for untreated jadeite (`天然A货翡翠手镯`);
/// - `AAA` (and `AAAA`) after a count (`2 AAA`, `3 x AAA`, `2pcs AAA`,
///   `1.5V AAA`: [`battery_count`]) or a battery's name (`batteries: AAA`,
///   `type`, French `piles`), or before `batteries`, `alkaline`,
///   `rechargeable`, `powered`, `size`, `x 2`, `1.5V`, `电池` or `(not included)`,
///   is a battery size; before `games`, `titles` or `gaming` a budget
///   class; beside a gemstone (`AAA tanzanite`, `opal grade AAA`) the
///   stone's grade; beside `width` (`Width AAA`, `AAA narrow`) a shoe's
///   width; before `hockey`, `baseball`, `softball` or `travel team(s)`,
///   or after a youth hockey age group (`bantam`), a level of sport;
/// - `mirror grade` before `polished`, `finish`, `steel`… is a finish, and
///   so is `mirror quality` before `polished` or `finish`;
/// - `尾单` before `肩` is `单肩` (one-shoulder) after `尾` (`鱼尾单肩`,
///   fishtail one-shoulder), and `原单` before `价`, `号` or `据` is a unit
///   price, an order number, a receipt (in traditional characters too);
/// - `imitation` before `pearls`, `leather` or `snakeskin` is a material
///   (French `imitation cuir` too, and the word in Italian, Spanish and
///   Portuguese, also after a material there: `perlas de imitación`:
///   [`IMITATION_MATERIALS`], [`IMITATED_MATERIALS`]), and so is `fake` before `leather`, `suede` or `fur`; `fake tan`,
///   `fake nails`, `fake lashes`, `fake plants`, `fake fire` are products
///   of their own, `fake two-piece` or `fake zip` a garment's style,
///   `fake-proof` anti-counterfeit;
/// - `1:1` before `replacement`, `exchange` or `warranty` is a warranty
///   ("1:1 replacement warranty"), before `ratio`, `scale` or
///   `magnification`, or after `exchange` (French `échange`) or
///   `replacement`, a warranty (in other languages too: `1:1 Austausch`,
///   `reemplazo 1:1`, `troca 1:1`), or after `ratio`, `mix`, `dilute` or
///   `proportion` (French `mélanger`, German `mischen`, `Mischverhältnis`,
///   Spanish `mezclar`, `proporción`, Italian `rapporto`), a proportion (and
///   beside an aspect ratio an aspect ratio: [`among_other_ratios`]),
///   before `cutouts` or `fit` a case's or a screen protector's fit, before `consultation`, `coaching` or
///   `session` (and after them) one-to-one, also with a word between
///   (`1:1 online consultation`: [`MEETINGS`]); `一比一开孔` and `1比1开孔`
///   too, and in traditional characters;
/// - `AAA` beside `cup` or after `size(s)` is a bra's cup size (`Sizes
///   AAA–B`, `AAA cup`), as after `width` a shoe's;
/// - French `dupe` after `pas` or a form of `être` is to be fooled (`ne
///   soyez pas dupe des contrefaçons`);
/// - French `réplique` after `sans` is an idiom (without reply), before
///   `sismique` an aftershock;
/// - `counterfeit` before `protection`, `detection` or `detector` is what
///   guards against it (as `anti-counterfeit` is);
/// - Russian `exact copy` before a document, a key or a scale is a copy
///   of that ([`RUSSIAN_COPIES_OF`]); Thai `copy work` before `ปี้เอกสาร`
///   or `วาง` is photocopying or copy-and-paste ([`THAI_OTHER_COPYING`]);
/// - `knock off` before `early`, `work`, `time`, `up`, `extra` or a
///   determiner (`the`, `your`, `all`…), or a number (`knock off 20%`:
///   [`DISCOUNTS`]), is a verb; `high copy` before `volume`, `speed`,
///   `capacity`, `yield` or `count` is a copier's duty;
/// - `高仿` followed by `真` is `高仿真`, lifelike, and by `生硅` or `生材`
///   bionic (`高仿生硅胶`, not `高仿生产`); `原单` after `附` or `凭` an
///   original receipt (`退货请附原单`).
///
/// Any of them right before one of [`GRADE_WORDS`] but `grade` and
/// `original` is a copy's grade whatever stands before it (`Top 1 AAA
/// Quality`, `2 AAA replica`), unless the sense's own word follows that
/// (`2 x AAA quality alkaline batteries`).
const OTHER_SENSES: &[(&str, &[&str], &[&str])] = &[
    ("A货", &["天然", "翡翠", "玉"], &["翡翠"]),
    ("AAA", BATTERY_BEFORE, BATTERY_AFTER),
    ("AAAA", BATTERY_BEFORE, BATTERY_AFTER),
    ("AAA", GEMS, GEMS),
    ("AAAA", GEMS, GEMS),
    ("AAA", &["width"], &["width", "narrow"]),
    ("AAAA", &["width"], &["width", "narrow"]),
    ("AAA", &["cup", "cups", "size", "sizes"], &["cup", "cups"]),
    ("AAA", SPORTS_LEVEL_BEFORE, SPORTS_LEVEL_AFTER),
    ("mirror grade", &[], MIRROR_FINISH),
    (
        "mirror quality",
        &[],
        &["polished", "polish", "finish", "finished"],
    ),
    (
        "qualité miroir",
        &["poli", "polie", "polis", "polies", "finition"],
        &[
            "poli",
            "polie",
            "polis",
            "polies",
            "polissage",
            "finition",
            "fini",
            "finie",
        ],
    ),
    ("尾单", &[], &["肩"]),
    ("尾單", &[], &["肩"]),
    ("原单", &["附", "凭"], &["价", "号", "据"]),
    ("原單", &["附", "憑"], &["價", "號", "據"]),
    (
        "fake",
        &[],
        &[
            "proof",
            "leather",
            "fur",
            "tan",
            "nails",
            "nail",
            "lashes",
            "eyelashes",
            "plant",
            "plants",
            "flowers",
            "flower",
            "grass",
            "snow",
            "blood",
            "tattoo",
            "eyelash",
            "flame",
            "candle",
            "candles",
            "freckles",
            "collar",
            "beard",
            "pocket",
            "pockets",
            "tattoos",
            "suede",
            "fire",
            "fireplace",
            "wick",
            "tanning",
            "lash",
            "two piece",
            "2 piece",
            "layer",
            "sleeves",
            "zip",
            "zipper",
            "buttons",
            "fruit",
            "food",
            "moss",
            "succulents",
            "ivy",
            "tree",
            "rocks",
            "camera",
        ],
    ),
    ("高仿", &[], &["真", "生硅", "生材"]),
    (
        "knock off",
        &[],
        &[
            "early", "work", "time", "the", "a", "an", "your", "our", "up", "extra", "some", "any",
            "another", "all",
        ],
    ),
    (
        "high copy",
        &[],
        &[
            "volume", "volumes", "speed", "speeds", "capacity", "yield", "count", "counts",
        ],
    ),
    (
        "highcopy",
        &[],
        &[
            "volume", "volumes", "speed", "speeds", "capacity", "yield", "count", "counts",
        ],
    ),
    ("imitation", &[], IMITATION_MATERIALS),
    ("이미테이션", &[], &["진주", "가죽", "레더", "퍼"]),
    (
        "rep",
        &[
            "sales", "customer", "service", "support", "field", "account", "company", "area",
            "regional", "local", "brand", "union", "student", "class",
        ],
        &[
            "tie", "ties", "stripe", "stripes", "striped", "fabric", "range", "ranges", "max",
            "count", "counts",
        ],
    ),
    ("imitazione", IMITATED_MATERIALS, IMITATION_MATERIALS),
    ("imitación", IMITATED_MATERIALS, IMITATION_MATERIALS),
    ("imitação", IMITATED_MATERIALS, IMITATION_MATERIALS),
    ("точная копия", &[], RUSSIAN_COPIES_OF),
    ("точную копию", &[], RUSSIAN_COPIES_OF),
    ("точной копии", &[], RUSSIAN_COPIES_OF),
    ("точной копией", &[], RUSSIAN_COPIES_OF),
    ("точные копии", &[], RUSSIAN_COPIES_OF),
    ("точных копий", &[], RUSSIAN_COPIES_OF),
    ("точными копиями", &[], RUSSIAN_COPIES_OF),
    ("งานก๊อป", &[], THAI_OTHER_COPYING),
    ("งานก็อป", &[], THAI_OTHER_COPYING),
    ("งานก๊อบ", &[], THAI_OTHER_COPYING),
    ("งานก็อบ", &[], THAI_OTHER_COPYING),
    (
        "1:1",
        &[
            "ratio",
            "mix",
            "mixed",
            "mixing",
            "dilute",
            "diluted",
            "proportion",
            "melanger",
            "mischen",
            "mezclar",
            "exchange",
            "echange",
            "replacement",
            // A warranty and a proportion in other languages.
            "remplacement",
            "reemplazo",
            "sustitucion",
            "cambio",
            "troca",
            "substituicao",
            "sostituzione",
            "austausch",
            "umtausch",
            "ersatz",
            "proporcion",
            "proporcao",
            "rapporto",
            "miscelazione",
            "diluizione",
            "mischverhaltnis",
            "mischungsverhaltnis",
            "verhaltnis",
            "dilution",
        ],
        &[
            "replacement",
            "exchange",
            "warranty",
            "ratio",
            "scale",
            "magnification",
            "cutout",
            "cutouts",
            "fit",
            "开孔",
            "開孔",
            "remplacement",
            "reemplazo",
            "cambio",
            "troca",
            "sostituzione",
            "austausch",
            "umtausch",
            "ersatz",
            "比例打印",
            "稀释",
            "稀釋",
        ],
    ),
    ("replique", &["sans"], &["sismique", "sismiques"]),
    (
        "dupe",
        &["pas", "etre", "soyez", "sois", "suis", "sommes", "etes"],
        &[],
    ),
    ("repliques", &["sans"], &["sismique", "sismiques"]),
    ("一比一", &[], CHINESE_ONE_TO_ONE_AFTER),
    ("1比1", &[], CHINESE_ONE_TO_ONE_AFTER),
    (
        "counterfeit",
        &[],
        &[
            "protection",
            "prevention",
            "detection",
            "detector",
            "detecting",
            "proof",
            "money",
        ],
    ),
];

/// Materials right after `imitation` (French too: `imitation cuir`) or
/// the same word in Italian, Spanish or Portuguese (`imitazione pelle`,
/// `imitación piel`, `imitação couro`) that make it a material.
const IMITATION_MATERIALS: &[&str] = &[
    "pearl",
    "pearls",
    "leather",
    "suede",
    "fur",
    "snakeskin",
    "crocodile",
    "croc",
    "alligator",
    "ostrich",
    "lizard",
    "python",
    "mink",
    "wood",
    "marble",
    // French.
    "cuir",
    "perle",
    "perles",
    "fourrure",
    "daim",
    "bois",
    "marbre",
    // Italian.
    "pelle",
    "cuoio",
    "perla",
    "pelliccia",
    "camoscio",
    "coccodrillo",
    "pitone",
    "struzzo",
    "legno",
    "marmo",
    // Italian, Spanish and Portuguese with `of` between, and more
    // materials (a stone, a precious metal's plating).
    "di pelle",
    "di legno",
    "di marmo",
    "de piel",
    "de cuero",
    "de madera",
    "de couro",
    "de pele",
    "de madeira",
    "a madera",
    "pietra",
    "piedra",
    "pedra",
    "parquet",
    "cocco",
    "oro",
    "ouro",
    "ante",
    "gamuza",
    "vison",
    "ladrillo",
    // Spanish and Portuguese.
    "piel",
    "cuero",
    "perlas",
    "madera",
    "marmol",
    "cocodrilo",
    "couro",
    "pele",
    "perola",
    "perolas",
    "madeira",
    "marmore",
    "camurca",
    "crocodilo",
];

/// Materials right before the word in Italian, Spanish or Portuguese
/// (`perle d'imitazione`, `perlas de imitación`, `couro de imitação`).
const IMITATED_MATERIALS: &[&str] = &[
    "perle",
    "perlas",
    "perle d",
    "perle di",
    "pelle d",
    "pelle di",
    "perlas de",
    "perla de",
    "piel de",
    "cuero de",
    "madera de",
    "perolas de",
    "perola de",
    "couro de",
    "pele de",
    "madeira de",
];

/// What right after Russian `exact copy` makes it a copy of something
/// other than goods: a document, a key (a locksmith's), a scale model
/// (`точная копия документа`, `точная копия в масштабе 1:43`).
const RUSSIAN_COPIES_OF: &[&str] = &[
    "документа",
    "документов",
    "паспорта",
    "чека",
    "договора",
    "ключа",
    "ключей",
    "в масштабе",
];

/// What right after Thai `copy work` makes it another copying:
/// photocopying documents (`งานก๊อปปี้เอกสาร`) or copy-and-paste data
/// entry (`งานก๊อปวาง`).
const THAI_OTHER_COPYING: &[&str] = &["ปี้เอกสาร", "วาง"];

/// Words right after `一比一` or `1比1` that make it a proportion, a fit or
/// a warranty (`一比一开孔`, `一比一稀释`, `一比一换新`), in simplified and
/// traditional characters.
const CHINESE_ONE_TO_ONE_AFTER: &[&str] = &[
    "开孔", "比例", "换新", "開孔", "換新", "稀释", "稀釋", "兑水",
];

/// CJK signal terms that are also Japanese words, the Japanese ones where
/// a Japanese word goes on after them ([`japanese_after`]): `復刻` (and so
/// `复刻` and `複刻`, which the obfuscation fold reads alike) is a reissue
/// (`復刻モデル`, `復刻版` in a Japanese text).
const JAPANESE_WORDS: &[&str] = &["复刻", "複刻"];

/// Whether the Japanese word a [`JAPANESE_WORDS`] term ending at byte
/// `end` of `text` begins goes on there: kana right after it (`復刻モデル`,
/// `復刻デザイン`), or `版` or `盤` (an edition) in a text with kana
/// elsewhere. One kana anywhere is not enough, nor `の` after it:
/// Chinese sellers write `の` for `的` (`复刻の卡地亚`).
/// `kana` tells whether the text has Kana ([`has_kana`]), asked once for
/// a text of many such terms.
fn japanese_after(text: &str, end: usize, kana: &mut Option<bool>) -> bool {
    let mut next = text.get(end..).unwrap_or("").chars();
    match next.next() {
        Some(c) if is_kana(c) && c != 'の' => true,
        Some('版' | '盤') => *kana.get_or_insert_with(|| has_kana(text)),
        _ => false,
    }
}

/// Whether `c` is Hiragana or Katakana (half-width too).
fn is_kana(c: char) -> bool {
    // Not the Katakana middle dot `・` nor the prolonged sound mark `ー`,
    // which Chinese text writes too.
    matches!(c, '\u{3041}'..='\u{309F}' | '\u{30A1}'..='\u{30FA}' | '\u{30FD}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' | '\u{FF66}'..='\u{FF9D}')
}

/// Whether `text` has Hiragana or Katakana: Japanese.
fn has_kana(text: &str) -> bool {
    text.chars().any(is_kana)
}

/// What `1:1` right before is one-to-one (`1:1 coaching`), also with one
/// or two words between (`1:1 online consultation`, `1:1 virtual skin
/// consultation`) ([`OTHER_SENSES`]); the first fifteen also right after
/// it (`consultation 1:1`, `asesoría 1:1`: [`MEETINGS_BEFORE`]). Not words
/// that are as often goods (`training shoes`, `knee support`) or a
/// phrase's end before a copy's `1:1` (`call`).
const MEETINGS: &[&str] = &[
    "consultation",
    "consultations",
    "coaching",
    "session",
    "sessions",
    "mentoring",
    "tutoring",
    "lesson",
    "lessons",
    "beratung",
    // In Spanish and Italian.
    "asesoria",
    "asesorias",
    "consulta",
    "consultas",
    "consulenza",
    // In Korean (`1:1 문의`, a shop's one-to-one inquiry board) and
    // Chinese: only after `1:1` (`欢迎咨询`, `가격 문의` end many texts).
    "상담",
    "문의",
    "咨询",
    "諮詢",
    "mentorship",
    "appointment",
    "appointments",
    "onboarding",
];

/// Signal terms that begin with a unit: after a number they are a measure
/// (`2 kW super silent heater`, `1.5 kW super fast`), not Indonesian `KW
/// super` (a copy's grade).
const MEASURES: &[&str] = &["kw super"];

/// How many words may stand between `1:1` and one of [`MEETINGS`] after it.
const WORDS_BETWEEN_MAX: usize = 2;

/// How many of [`MEETINGS`], first, count right before `1:1` too.
const MEETINGS_BEFORE: usize = 15;

/// What a mirror's grade right before makes a finish, not a copy
/// (`mirror-grade polished`, `mirror grade stainless`); of these, only a
/// polish or finish after its quality (`mirror quality polished cap`, but
/// `Mirror Quality Stainless Steel Submariner` is a copy).
const MIRROR_FINISH: &[&str] = &[
    "polished",
    "polish",
    "finish",
    "finished",
    "steel",
    "stainless",
    "aluminum",
    "aluminium",
    "reflector",
    "nib",
];

/// Gemstones a grade `AAA` right before or after is the stone's
/// ([`OTHER_SENSES`]): `AAA Tanzanite`, `Opal AAA`, and, added where the
/// term set is built, `Opal grade AAA`. Not the stones whose names are
/// colours or a watch's glass (`Sapphire crystal`, `Emerald Green`, `ruby
/// red`, `jade green`, `Pearl White`), nor cubic zirconia, whose usual
/// grade is `5A`, nor diamonds.
const GEMS: &[&str] = &[
    "pearls",
    "akoya",
    "tanzanite",
    "opal",
    "opals",
    "amethyst",
    "topaz",
    "garnet",
    "aquamarine",
    "peridot",
    "citrine",
    "morganite",
    "tourmaline",
];

/// Words right before `AAA` or `AAAA` that make it a battery size (and
/// any count: [`battery_count`]).
const BATTERY_BEFORE: &[&str] = &[
    "x",
    "two",
    "three",
    "four",
    "type",
    "piles",
    "aa",
    "battery",
    "batteries",
    "pcs",
    "pc",
    "pack",
    "requires",
    "needs",
    "uses",
    "runs on",
    "powered by",
    "rechargeable",
    "alkaline",
    "lithium",
    // The word for batteries (and `pieces`) in other languages: Spanish,
    // Portuguese, Italian, French, German, Turkish, Indonesian, Russian,
    // Arabic, Chinese and Japanese, Thai (Vietnamese `pin` only after a
    // count: [`COUNTED_BATTERY_WORDS`]).
    "pila",
    "pilas",
    "pilha",
    "pilhas",
    "pile",
    "batteria",
    "batterie",
    "batterien",
    "baterias",
    "adet",
    "pil",
    "baterai",
    "батарейка",
    "батарейки",
    "батареек",
    "батарейках",
    "батареи",
    "батарей",
    "بطارية",
    "بطاريات",
    "بطاريتين",
    "电池",
    "電池",
    "ถ่าน",
];

/// Words for batteries that are also ordinary words: right before `AAA`
/// they make it a battery size only after a count ([`battery_count`]):
/// Vietnamese `pin` (`2 pin AAA`), the English `pin` of `lapel pin AAA`.
const COUNTED_BATTERY_WORDS: &[&str] = &["pin"];

/// Words right before `AAA` that make it a level of youth hockey (`Bantam
/// AAA`): its age groups, words of no other trade. Not `tier` (`top tier
/// AAA` is a copy's grade), `youth` or `minor`.
const SPORTS_LEVEL_BEFORE: &[&str] = &["bantam", "midget", "peewee", "squirt"];

/// Words right after `AAA` that make it a level of sport (`AAA travel
/// teams`, `AAA hockey`, Triple-A `AAA baseball`). Not `travel` alone
/// (`AAA travel bag` is a copy's grade), nor `team` or `league` alone (`AAA
/// team jersey`).
const SPORTS_LEVEL_AFTER: &[&str] = &[
    "travel team",
    "travel teams",
    "travel hockey",
    "travel baseball",
    "hockey",
    "baseball",
    "softball",
];

/// Words right after `AAA` or `AAAA` that make it a battery size (or, for
/// `games`, a budget class).
const BATTERY_AFTER: &[&str] = &[
    "battery",
    "batteries",
    "batterien",
    "cell",
    "cells",
    "alkaline",
    "rechargeable",
    "nimh",
    "powered",
    "not included",
    "size",
    "aa",
    "ni mh",
    "lithium",
    "电池",
    "電池",
    "乾電池",
    "pilas",
    "pilhas",
    "piles",
    "pil",
    "pile",
    "batterie",
    "baterai",
    "baterias",
    "батарейки",
    "батарейка",
    "батареи",
    "건전지",
    "배터리",
    "ถ่าน",
    "game",
    "games",
    "title",
    "titles",
    "gaming",
];

/// Whether `word` of the exact fold counts or sizes batteries before
/// `AAA`: a number up to 12 (`2`), a count (`2x`, `2pcs`, `24pack`) or a
/// voltage (`1.5V` folds to `1 5v`). Not a model or a year (`X5 AAA`,
/// `116500 AAA`, `2024 AAA`).
fn battery_count(word: &str) -> bool {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = word.split_at(digits);
    match unit {
        "" => number.parse::<u32>().is_ok_and(|n| (1..=12).contains(&n)),
        "x" | "pc" | "pcs" | "pack" | "v" => !number.is_empty() && number.len() <= 2,
        _ => false,
    }
}

/// Whether the words after `AAA` (`behind`, from the word right after it)
/// size batteries: `x 2`, `x2`, `1.5V` (`1 5v`), `2pcs`; not a plain
/// number (`AAA 2024`).
fn counted_after(behind: &str) -> bool {
    let mut words = behind.split(' ');
    let first = words.next().unwrap_or("");
    let number = !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit());
    let digits = |w: &str| !w.is_empty() && w.len() <= 2 && w.bytes().all(|b| b.is_ascii_digit());
    let second = words.next();
    first.strip_prefix('x').is_some_and(digits)
        || (first == "x" && second.is_some_and(digits))
        || (!number && battery_count(first))
        || (number && second.is_some_and(|w| w.ends_with('v') && battery_count(w)))
}

/// Signal terms that name what they point at: they count only before a
/// name the scan found, with at most [`INTRODUCED_WITHIN`] words between
/// (`inspired by Cartier`, `inspired by the iconic Vellano`), not before
/// anything else (`dial inspired by the Alpine glaciers`); `knock off` and
/// `high copy` also right after one ([`FOLLOWING_TERMS`]). Exact-folded.
const INTRODUCING_TERMS: &[&str] = &["inspired by", "knock off", "high copy"];

/// Words that may stand between an introducing term and the name it
/// introduces.
const INTRODUCED_WITHIN: usize = 3;

/// Introducing terms that are verbs or a copier's words far more often
/// than not (`knock off dust with an Aurelle brush`, `knock off excess
/// Lysette powder`): they introduce a name only right before it, as they
/// follow one right after it ([`FOLLOWING_TERMS`]: spaces or a hyphen
/// between), or across `of` and maybe an article, as a copy is named
/// (`a knock off of the Aurelle Classic`, `high copy of Vellano`); not
/// across [`INTRODUCED_WITHIN`] words as `inspired by` (`inspired by the
/// iconic Vellano`). Exact-folded.
const ADJACENT_INTRODUCING_TERMS: &[&str] = &["knock off", "high copy"];

/// Signal terms that count only right after a name the scan found, with
/// nothing but spaces or hyphens between, and not before `by`: a dupe
/// names what it copies (`Aurelle-inspired bag`, `Vellano inspired tote`),
/// where `Aurelle Jardin, inspired by Provence` or `dial inspired by the
/// Alps` is no dupe. So are `knock off` and `high copy` written as two
/// words (`Aurelle knock off watch`, `Aurelle high copy`), which also
/// introduce a name ([`INTRODUCING_TERMS`]: `knock off Aurelle watch`,
/// `high copy Aurelle`): elsewhere the first is a verb far more often (`we
/// knock off 20% this week`, `knock off early`), and the second a copier's
/// (`high copy volume`); beside a name, a number or a copier's word after
/// them still gives them those senses ([`DISCOUNTS`], [`OTHER_SENSES`]).
/// Exact-folded.
const FOLLOWING_TERMS: &[&str] = &["inspired", "knock off", "high copy"];

/// Signal terms that are a discount right before a number (`Aurelle knock
/// off 20% today`, `knock off $50`: the fold reads the symbols as spaces).
const DISCOUNTS: &[&str] = &["knock off"];

/// Signal terms that name something else in a text that speaks of certain
/// goods anywhere (not only right beside the term): (term, words, what
/// after such a word makes it a colour or a part of other goods). Latin
/// words match whole; exact-folded.
/// - `AAA` (and `AAAA`) in a text about pearls is the pearls' grade
///   (`Akoya Pearl Stud Earrings, AAA grade`). Pearls, not `pearl`: a
///   colour (`Pearl White`, `珍珠白`) or a dial (`mother-of-pearl`,
///   `珍珠贝母`) says nothing of the goods, nor do pearls that are a part
///   of a watch (`AAA Quality Ladies Watch, Tahitian Pearl Dial`);
/// - `A货` in a text about jadeite (`翡翠`, but not the colour `翡翠色` or
///   `翡翠绿`, nor a dial `翡翠表盘`) is the trade's name for untreated
///   jadeite (`翡翠手镯 A货 冰糯种`);
/// - `5A quality` in a text about cubic zirconia is its usual grade
///   (`5A Quality CZ Stud Earrings`, `CZ accents`).
///
/// Nor do the words of a look joined by a hyphen (`pearls-style dial`:
/// [`LOOKS`]) or of a gift (`A货 男士手表 送翡翠手串`: [`NOT_GOODS_BEFORE`]).
/// (A gift box is not a part: `Akoya pearls gift box` is as often the
/// pearls in their box.)
const TEXT_SENSES: &[(&str, &[&str], &[&str])] = &[
    ("AAA", PEARLS, PEARL_PARTS),
    ("AAAA", PEARLS, PEARL_PARTS),
    ("A货", &["翡翠"], &["色", "绿", "表盘"]),
    ("5A quality", CUBIC_ZIRCONIA, &[]),
    ("5A grade", CUBIC_ZIRCONIA, &[]),
];

/// Words of a text about cubic zirconia, whose usual grade is `5A`
/// ([`TEXT_SENSES`]).
const CUBIC_ZIRCONIA: &[&str] = &["cz", "zirconia", "zircon", "zircons", "锆石"];

/// Words of a text about pearls ([`TEXT_SENSES`]).
const PEARLS: &[&str] = &["pearls", "akoya", "tahitian", "珍珠"];

/// What after a word for pearls makes it a colour or a part of other
/// goods ([`TEXT_SENSES`]). Latin words are whole and may follow a `pearl`
/// or `pearls` after the word (`Tahitian Pearl Dial`); CJK ones follow the
/// word itself.
const PEARL_PARTS: &[&str] = &[
    "白", "色", "贝", "表盘", "dial", "dials", "bezel", "inlay", "accents", "markers",
];

/// What joined by a hyphen after a word of [`TEXT_SENSES`], or after a
/// gemstone right beside `AAA` ([`GEMS`]), makes it a look, not the goods
/// (`pearls-style dial`, `AAA opal-look`). Only so joined: `these pearls
/// look lovely` speaks of pearls.
const LOOKS: &[&str] = &["style", "styled", "look", "effect", "print"];

/// What right before a word of [`TEXT_SENSES`] makes it a gift with other
/// goods (`送翡翠手串`: a jadeite bracelet given with the watch).
const NOT_GOODS_BEFORE: &[&str] = &["送", "赠"];

/// Words skipped after a word for pearls before its parts or a look
/// (`Tahitian Pearl Dial`, `Akoya pearls-style`).
const PEARL_WORDS: &[&str] = &["pearl", "pearls"];

/// A small automaton over folded terms, with per-pattern boundary needs.
struct TermSet {
    automaton: Option<AhoCorasick>,
    /// The same terms as a DFA of aho-corasick's own, read by
    /// [`terms_present`] to tell whether a text has any.
    present: Option<DFA>,
    /// The terms written in ASCII alone, as another such DFA, for a text
    /// of ASCII alone (most): the other scripts' bytes give the DFA of all
    /// terms byte classes that widen every state, and a table that much
    /// larger waits on memory more often.
    present_ascii: Option<DFA>,
    /// Per pattern: (needs a boundary before, needs a boundary after).
    edges: Vec<(bool, bool)>,
    /// Per pattern: the punctuation the term is written with (`:` of
    /// `1:1`), in compatibility form. The fold turns punctuation into a
    /// separator, so the match's original text must show these too: `1:1`
    /// is not `1.1` or `1 1/2`.
    marks: Vec<Vec<char>>,
    /// Per pattern: the words before and after it that give it another
    /// sense ([`OTHER_SENSES`]), folded at the set's level.
    senses: Vec<Senses>,
    /// Per pattern: whether it is also a Japanese word for something else
    /// ([`JAPANESE_WORDS`]).
    japanese: Vec<bool>,
    /// Per pattern: whether a count beside it makes it a battery size
    /// (`AAA`: [`battery_count`]).
    counted: Vec<bool>,
    /// [`GRADE_WORDS`], folded at the set's level: right after a term,
    /// they make it a copy's grade whatever else stands beside it.
    grades: Vec<String>,
    /// [`NEGATING_WORDS`], folded at the set's level.
    negating: Vec<String>,
    /// Per pattern: whether the term is a ratio (`1:1`), which in a list of
    /// other ratios is an aspect ratio ([`among_other_ratios`]).
    ratios: Vec<bool>,
    /// Per pattern: whether it is a replica grade ([`GRADE_TERMS`]), whose
    /// words must be written with only spaces or a hyphen between
    /// (`USB-C cable 3A, quality braided` is a current).
    plain: Vec<bool>,
    /// Per pattern: whether it is of several words ([`one_clause`]).
    phrases: Vec<bool>,
    /// Per pattern: whether it counts only before a name
    /// ([`INTRODUCING_TERMS`]), and how close ([`Introduces`]).
    introduces: Vec<Introduces>,
    /// Per pattern: whether it counts only right after a name
    /// ([`FOLLOWING_TERMS`]).
    follows: Vec<bool>,
    /// Per pattern: words anywhere in the text that give it another sense,
    /// each with what after it makes it a part ([`TEXT_SENSES`]), folded at
    /// the set's level.
    text_senses: Vec<Vec<(String, Vec<String>)>>,
    /// [`LOOKS`], [`NOT_GOODS_BEFORE`], [`PEARL_WORDS`] and [`GEMS`],
    /// folded at the set's level.
    not_goods: NotGoods,
}

/// Aspect ratios of photos and screens, either way round.
const ASPECT_RATIOS: &[(u32, u32)] = &[(4, 3), (3, 2), (16, 9), (21, 9), (5, 4), (16, 10)];

/// Words that, right after `1:1`, make it a copy's grade whatever stands
/// beside it (`4:3 1:1 copy`). Right after any term with another sense,
/// all but `grade` and `original` do ([`OTHER_SENSES`]): `2 AAA Grade A
/// batteries` and `2 AAA original batteries` are batteries.
const GRADE_WORDS: &[&str] = &[
    "copy",
    "copies",
    "grade",
    "grades",
    "quality",
    "mirror",
    "replica",
    "replicas",
    "clone",
    "clones",
    "fake",
    "fakes",
    "original",
    "originals",
];

/// [`GRADE_WORDS`] that do not make a term with another sense a copy's
/// grade (`2 AAA Grade A batteries`), though they are no word between
/// `1:1` and a meeting either (`1:1 top grade consultation`).
const LOOSE_GRADE_WORDS: &[&str] = &["grade", "grades", "original", "originals"];

/// Whether the ratio at `span` of `text` stands in a list of aspect ratios
/// ([`ASPECT_RATIOS`]), beside one with at most a separator between
/// (`4:3 / 1:1 / 16:9`, `1:1, 3:2`): a camera's or a screen's, not a copy's
/// grade, unless a grade word follows it (`4:3 1:1 copy`). A time
/// (`12:34:56`) or another 1:1 (`01:01`) is not an aspect ratio. Read
/// within [`SENSE_WINDOW`] bytes each side, so that a text of many ratios
/// (`1:` repeated) costs time linear in its length.
fn among_other_ratios(text: &str, span: Range<usize>) -> bool {
    let (Some(before), Some(after)) = (text.get(..span.start), text.get(span.end..)) else {
        return false;
    };
    let before = &before[before.ceil_char_boundary(before.len().saturating_sub(SENSE_WINDOW))..];
    let after = &after[..after.floor_char_boundary(SENSE_WINDOW)];
    // The next word, past spaces and a punctuation mark (`1:1, copy`).
    let next_word: String = after
        .trim_start()
        .trim_start_matches(|c: char| !c.is_alphanumeric() && !c.is_whitespace() && !is_colon(c))
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if GRADE_WORDS.contains(&next_word.as_str()) || next_word.starts_with("aaa") {
        return false;
    }
    let aspect = |ratio: Option<(u32, u32)>| {
        ratio.is_some_and(|(a, b)| {
            ASPECT_RATIOS
                .iter()
                .any(|&(x, y)| (a, b) == (x, y) || (a, b) == (y, x))
        })
    };
    aspect(ratio_at_start(after)) || aspect(ratio_at_end(before))
}

/// An ASCII or full-width digit's value.
fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// A hyphen of any width (`knock‑off` with the non-breaking U+2011).
fn is_hyphen(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}'
    )
}

fn is_colon(c: char) -> bool {
    matches!(c, ':' | '：' | '∶' | '﹕' | 'ː' | '꞉' | '˸')
}

/// Separators between the items of a list of ratios.
fn is_list_separator(c: char) -> bool {
    matches!(c, '/' | ',' | '|' | ';' | '、' | '，' | '／' | '·')
}

/// `16:9` as (16, 9): one colon, one or two digits each side.
fn parse_ratio(token: &str) -> Option<(u32, u32)> {
    let (first, second) = token.split_once(is_colon)?;
    let side = |s: &str| {
        (1..=2).contains(&s.chars().count()).then_some(())?;
        s.chars().try_fold(0, |n, c| Some(n * 10 + digit(c)?))
    };
    Some((side(first)?, side(second)?))
}

/// The most characters a ratio is written with (`16:10`).
const RATIO_CHARS_MAX: usize = 5;

/// A digit or a colon: what a ratio is written with.
fn in_ratio(c: char) -> bool {
    digit(c).is_some() || is_colon(c)
}

/// The ratio (`16:9`) that `text` begins with, after spaces and at most
/// one list separator, that no letter continues (and no colon: `12:34:56`
/// is a time).
fn ratio_at_start(text: &str) -> Option<(u32, u32)> {
    let text = text.trim_start();
    let text = text
        .strip_prefix(is_list_separator)
        .unwrap_or(text)
        .trim_start();
    // A ratio is a few characters: a longer run is none, told without
    // walking it (a text of `1:` repeated).
    let mut end = text.len();
    for (n, (at, c)) in text.char_indices().enumerate() {
        if !in_ratio(c) {
            end = at;
            break;
        }
        if n == RATIO_CHARS_MAX {
            return None;
        }
    }
    if text[end..].starts_with(char::is_alphanumeric) {
        return None;
    }
    parse_ratio(&text[..end])
}

/// The same for a ratio `text` ends with, before spaces and at most one
/// list separator, that no letter precedes.
fn ratio_at_end(text: &str) -> Option<(u32, u32)> {
    let text = text.trim_end();
    let text = text
        .strip_suffix(is_list_separator)
        .unwrap_or(text)
        .trim_end();
    let mut start = 0;
    for (n, (at, c)) in text.char_indices().rev().enumerate() {
        if !in_ratio(c) {
            start = at + c.len_utf8();
            break;
        }
        if n == RATIO_CHARS_MAX {
            return None;
        }
    }
    if text[..start].ends_with(char::is_alphanumeric) {
        return None;
    }
    parse_ratio(&text[start..])
}

/// The punctuation of `term` (neither a letter, a digit nor a space), each
/// character in its NFKC form.
fn marks_of(term: &str) -> Vec<char> {
    term.chars()
        .filter(|c| !c.is_alphanumeric() && !c.is_whitespace())
        .flat_map(|c| std::iter::once(c).nfkc())
        .collect()
}

/// Whether `original` shows every mark of `marks` (as itself or a
/// compatibility form of it, such as a full-width colon; a colon also as
/// the ratio sign `∶`, which Chinese text writes for it).
fn shows_marks(original: &str, marks: &[char]) -> bool {
    marks.iter().all(|&mark| {
        original.chars().any(|c| {
            c == mark
                || std::iter::once(c).nfkc().eq(std::iter::once(mark))
                || (mark == ':' && is_colon(c))
                || (mark == '-' && is_hyphen(c))
        })
    })
}

impl TermSet {
    /// The DFA that tells whether `text` (a fold at the set's level) has
    /// any of the terms: the ASCII terms' alone for a text of ASCII alone.
    fn present_in(&self, text: &[u8]) -> Option<&DFA> {
        if text.is_ascii() {
            self.present_ascii.as_ref()
        } else {
            self.present.as_ref()
        }
    }

    /// The terms, and the words around them, folded at `level`.
    fn new(terms: &[&str], level: Level) -> Self {
        let fold = |w: &str| match level {
            Level::Exact => fold_exact(w),
            Level::Obfuscation => fold_obfuscated(w),
        };
        let mut folded = Vec::new();
        let mut edges = Vec::new();
        let mut marks = Vec::new();
        let mut senses = Vec::new();
        let mut counted = Vec::new();
        let mut ratios = Vec::new();
        let mut introduces = Vec::new();
        let mut follows = Vec::new();
        let mut plain = Vec::new();
        let mut phrases = Vec::new();
        let mut text_senses = Vec::new();
        let mut japanese = Vec::new();
        let mut f = FoldedText::new();
        for term in terms {
            f.fold(term, level);
            if f.is_empty() {
                continue;
            }
            edges.push((
                f.flags_at(0) & WORD != 0,
                f.flags_at(f.len() - 1) & WORD != 0,
            ));
            marks.push(marks_of(term));
            ratios.push(*term == "1:1");
            japanese.push(JAPANESE_WORDS.contains(term));
            introduces.push(if ADJACENT_INTRODUCING_TERMS.contains(term) {
                Introduces::RightBefore
            } else if INTRODUCING_TERMS.contains(term) {
                Introduces::Within
            } else {
                Introduces::No
            });
            plain.push(GRADE_TERMS.contains(term));
            phrases.push(term.contains(' ') && marks_of(term).is_empty());
            follows.push(FOLLOWING_TERMS.contains(term));
            let fold_all = |words: &[&str]| words.iter().map(|w| fold(w)).collect::<Vec<_>>();
            text_senses.push(
                TEXT_SENSES
                    .iter()
                    .filter(|(other, ..)| other == term)
                    .flat_map(|(_, words, parts)| words.iter().map(|w| (fold(w), fold_all(parts))))
                    .collect(),
            );
            // `1 to 1` has the other senses of `1:1`.
            let sense = if *term == "1 to 1" { "1:1" } else { *term };
            let (mut before, mut after) = (Vec::new(), Vec::new());
            for (_, words_before, words_after) in
                OTHER_SENSES.iter().filter(|(other, _, _)| *other == sense)
            {
                before.extend(fold_all(words_before));
                after.extend(fold_all(words_after));
            }
            let mut after_a_word = Vec::new();
            if sense == "1:1" {
                before.extend(fold_all(&MEETINGS[..MEETINGS_BEFORE]));
                after.extend(fold_all(MEETINGS));
                after_a_word.extend(fold_all(MEETINGS));
            }
            let graded = matches!(*term, "AAA" | "AAAA");
            if graded {
                before.extend(GEMS.iter().map(|g| fold(&format!("{g} grade"))));
            }
            senses.push(Senses {
                before,
                after,
                after_a_word,
                after_a_number: MEASURES.contains(term),
                before_a_number: DISCOUNTS.contains(term),
            });
            counted.push(graded);
            folded.push(f.as_str().to_owned());
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&folded)
            .ok();
        // No prefilter: a start state is then never special, and the
        // search stops only at a match.
        let dfa = |patterns: &[&String]| {
            DFA::builder()
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(patterns)
                .ok()
        };
        let present = dfa(&folded.iter().collect::<Vec<_>>());
        let present_ascii = dfa(&folded.iter().filter(|t| t.is_ascii()).collect::<Vec<_>>());
        Self {
            automaton,
            present,
            present_ascii,
            edges,
            marks,
            senses,
            counted,
            grades: GRADE_WORDS
                .iter()
                .filter(|w| !LOOSE_GRADE_WORDS.contains(w))
                .map(|w| fold(w))
                .collect(),
            negating: NEGATING_WORDS.iter().map(|w| fold(w)).collect(),
            ratios,
            japanese,
            introduces,
            follows,
            plain,
            phrases,
            text_senses,
            not_goods: NotGoods {
                looks: LOOKS.iter().map(|w| fold(w)).collect(),
                before: NOT_GOODS_BEFORE.iter().map(|w| fold(w)).collect(),
                skipped: PEARL_WORDS.iter().map(|w| fold(w)).collect(),
                gems: GEMS.iter().map(|w| fold(w)).collect(),
            },
        }
    }
}

/// The words beside a term that give it another sense ([`OTHER_SENSES`]),
/// folded at a term set's level.
struct Senses {
    /// Right before it.
    before: Vec<String>,
    /// Right after it.
    after: Vec<String>,
    /// After it with one word between, not a grade (`1:1 skin
    /// consultation`, `1:1 Zoom tutoring`).
    after_a_word: Vec<String>,
    /// Whether a number right before it makes it a measure ([`MEASURES`]:
    /// `2 kW super silent`).
    after_a_number: bool,
    /// Whether a number right after it makes it a discount ([`DISCOUNTS`]:
    /// `knock off 20%`).
    before_a_number: bool,
}

/// What makes a word of [`TEXT_SENSES`] something other than the goods,
/// folded at a term set's level.
struct NotGoods {
    looks: Vec<String>,
    before: Vec<String>,
    skipped: Vec<String>,
    gems: Vec<String>,
}

/// The signal terms at the exact fold (`REPLICA`, `Réplica`).
static SIGNALS: LazyLock<TermSet> =
    LazyLock::new(|| TermSet::new(&[SIGNAL_TERMS, GRADE_TERMS].concat(), Level::Exact));
/// The same at the obfuscation fold, where the checks undo for signal terms
/// what they undo for names (`R3plica`, `R.e.p.l.i.c.a`, `Rерliса` with
/// Cyrillic letters, `高.仿`, `高 仿`).
static SIGNALS_OBF: LazyLock<TermSet> =
    LazyLock::new(|| TermSet::new(SIGNAL_TERMS, Level::Obfuscation));
static COMPAT: LazyLock<Vec<(String, bool)>> = LazyLock::new(|| {
    COMPATIBILITY_PHRASES
        .iter()
        .map(|p| {
            let folded = fold_exact(p);
            // Whole words in an alphabet (`для` too); CJK ones anywhere.
            let latin = folded
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() && !super::normalize::is_cjk(c));
            (folded, latin)
        })
        .collect()
});

/// [`DEDICATED_AFTER`], exact-folded (the exact fold writes Hangul as its
/// jamo, so `호환` is compared as the fold writes it).
static DEDICATED: LazyLock<Vec<String>> =
    LazyLock::new(|| DEDICATED_AFTER.iter().map(|d| fold_exact(d)).collect());

/// Builds the term sets now (about a millisecond) instead of in the first
/// check; [`super::BrandIndex::build`] calls it.
pub(crate) fn warm_up() {
    LazyLock::force(&SIGNALS);
    LazyLock::force(&SIGNALS_OBF);
    LazyLock::force(&COMPAT);
    LazyLock::force(&DEDICATED);
}

/// Byte spans (in `text`) of counterfeit signal terms: `replica`, `fake`,
/// `1:1`, `AAA`, `mirror quality`, `super copy`, `dupe`, `inspired by`,
/// `高仿`, `复刻`, `原单`, `A货`… Latin terms match as whole words after the
/// exact fold (`REPLICA`, `Réplica`) or the obfuscation fold (`R3plica`,
/// `R.E.P.L.I.C.A`); CJK terms match anywhere (`高仿`, `高.仿`). A term
/// written with punctuation matches only where the text has it (`1:1`, not
/// `1.1`), a Latin term right after `anti` is not one
/// (`anti-counterfeit`), and a few name something else in some company
/// (`天然A货翡翠`, `AAA batteries`, `imitation pearls`, `1:1 replacement`)
/// or in a text about certain goods (`AAA` of pearls, `A货` of jadeite).
/// `inspired by` counts only before a name, one of `names` (the spans of
/// the brand names found in `text`, sorted by start), with at most three
/// words between, and `inspired` only right after one (`Aurelle-inspired`).
/// Replica grades (`7A quality`) match as written only. Sorted; overlapping
/// spans merged up to 128 bytes, so a longer run of overlapping terms
/// (`a a a a …`) gives several spans, each overlapping the one before.
#[must_use]
pub fn signal_terms(text: &str, names: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    with_scratch(|scratch| {
        scratch.fold(text);
        scratch.signal_terms(text, names, &mut spans);
    });
    spans
}

/// The span of a name found, for [`signal_terms_in`]'s names.
pub(crate) trait NameSpan {
    fn span_start(&self) -> usize;
    fn span_end(&self) -> usize;
}

impl NameSpan for Range<usize> {
    fn span_start(&self) -> usize {
        self.start
    }
    fn span_end(&self) -> usize {
        self.end
    }
}

impl NameSpan for super::TextMatch {
    fn span_start(&self) -> usize {
        self.span.start
    }
    fn span_end(&self) -> usize {
        self.span.end
    }
}

/// The signal terms of text written upside down (`ɐɔᴉldǝɹ` for
/// `replica`), added to `spans`: in each run of upside-down text read
/// upright (`readings`, as names are read), its terms found with the same
/// rules, spans mapped back to the characters as written. Only for a text
/// with a mark of upside-down text; its buffers are this call's.
#[cold]
#[inline(never)]
fn flipped_terms(readings: &FlippedReadings, spans: &mut Vec<Range<usize>>) {
    let (mut exact, mut obf) = (FoldedText::new(), FoldedText::new());
    let mut found = Vec::new();
    for (upright, origin) in readings.iter() {
        super::normalize::fold_both(upright, &mut exact, &mut obf);
        // An upright reading has no mark of upside-down text: no deeper.
        signal_terms_in::<Range<usize>>(upright, (&exact, &obf), None, &[], &mut found);
        spans.extend(
            found
                .drain(..)
                .map(|r| super::normalize::shown_span(origin, r)),
        );
    }
}

/// [`signal_terms`] of `text`, whose exact and obfuscation folds are
/// `exact` and `obf`, into `spans` (cleared first): for a scan that has
/// folded the text already, and found `names` (sorted by start). Each term
/// is looked for at both levels, with the same rules at each, and in the
/// upright readings of the text's upside-down runs: `flipped`, where the
/// scan read them, or read here.
pub(crate) fn signal_terms_in<N: NameSpan>(
    text: &str,
    (exact, obf): (&FoldedText, &FoldedText),
    flipped: Option<&FlippedReadings>,
    names: &[N],
    spans: &mut Vec<Range<usize>>,
) {
    spans.clear();
    // Where the exact fold shows a term, its rules (other senses, `anti`)
    // decide: the obfuscation fold may read the words around it otherwise
    // (`AAA+Battery` is `aaatbattery` there, hiding the batteries).
    let (in_exact, in_obf) = terms_present(&SIGNALS, exact, &SIGNALS_OBF, obf);
    let mut seen = Vec::new();
    if in_exact {
        find_terms(&SIGNALS, text, exact, names, spans, Some(&mut seen), &[]);
    }
    if in_obf {
        // Sorted, for a binary search per term of the second pass (a text
        // repeating a term thousands of times stays linear-logarithmic).
        seen.sort_unstable_by_key(|r: &Range<usize>| (r.start, r.end));
        find_terms(&SIGNALS_OBF, text, obf, names, spans, None, &seen);
    }
    split_terms(text, spans);
    if obf.may_be_flipped() {
        match flipped {
            Some(readings) => flipped_terms(readings, spans),
            None => {
                let mut readings = FlippedReadings::default();
                readings.read(text);
                flipped_terms(&readings, spans);
            }
        }
    }
    spans.sort_unstable_by_key(|r| (r.start, r.end));
    // Merge overlapping spans in place, up to MERGED_SPAN_MAX bytes: runs
    // of single letters overlap without end (`a a a a …` is `AAA` from
    // every letter on).
    let mut kept = 0;
    for i in 0..spans.len() {
        if kept > 0
            && spans[i].start < spans[kept - 1].end
            && spans[i].end.max(spans[kept - 1].end) - spans[kept - 1].start <= MERGED_SPAN_MAX
        {
            spans[kept - 1].end = spans[kept - 1].end.max(spans[i].end);
        } else {
            spans[kept] = spans[i].clone();
            kept += 1;
        }
    }
    spans.truncate(kept);
}

/// What splits a Latin signal term into pieces inside a word ([`split_terms`]):
/// a hyphen or a dash of any width (ASCII, U+2010–U+2014, the minus sign,
/// the small and full-width hyphen-minus), a dot (ASCII, full-width, a
/// middle dot, a hyphenation point).
fn is_splitter(c: char) -> bool {
    matches!(
        c,
        '-' | '.' | '\u{2010}'
            ..='\u{2014}'
                | '\u{2212}'
                | '\u{FE63}'
                | '\u{FF0D}'
                | '\u{FF0E}'
                | '\u{B7}'
                | '\u{2027}'
    )
}

/// A letter of a word [`split_terms`] reads, with its marks where they are
/// written apart (`Re\u{301}-plique`). CJK terms are found split by the
/// obfuscation fold, which joins them whatever is between.
fn is_piece_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    (c.is_alphabetic() && !super::normalize::is_cjk(c))
        || unicode_normalization::char::is_combining_mark(c)
}

/// Signal terms split into pieces of letters by a hyphen or a dot inside a
/// word (`Re-plica`, `rep.lica`, `du.pe`, `Super Co-py`, `Ré-plique`,
/// `re‑plica` with a non-breaking hyphen), as names are found split into
/// whole words: appended to `spans`. A term must start and end where pieces
/// do and span two or more; the rules of the exact level then read it as if
/// written whole (`fa-ke fur` is fake fur). Terms that count only beside a
/// name (`inspired by`) are not looked for.
///
/// Most texts have no splitter between letters, and most words that do
/// (`T-shirt`, `Wi-Fi`, `3.5mm`) join into no term: each such word is
/// joined in a small buffer (its pieces folded, where not ASCII) and
/// searched, and only a text where a term appears is folded again.
fn split_terms(text: &str, spans: &mut Vec<Range<usize>>) {
    let Some(automaton) = &SIGNALS.automaton else {
        return;
    };
    let bytes = text.as_bytes();
    // Splitters to drop, as byte ranges of `text`.
    let mut dropped: Vec<Range<usize>> = Vec::new();
    let mut joined: Vec<u8> = Vec::new();
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    // A run of letters appended to `joined`, folded as the exact level
    // folds it (lower case, no marks) where it is not ASCII.
    let join = |joined: &mut Vec<u8>, letters: &str| {
        if letters.is_ascii() {
            joined.extend(letters.bytes().map(|b| b.to_ascii_lowercase()));
        } else {
            joined.extend(fold_exact(letters).bytes());
        }
    };
    let letter_before = |i: usize| text[..i].chars().next_back().is_some_and(is_piece_letter);
    let letter_at = |i: usize| text[i..].chars().next().is_some_and(is_piece_letter);
    let mut from = 0;
    // Where a splitter may start: `-`, `.`, and the first byte of the
    // others (U+2010…, U+FF0D…, U+B7); the next of each kind, found once.
    let ascii = text.is_ascii();
    let (mut next_wide, mut next_other) = (None, ascii.then_some(usize::MAX));
    let mut candidate = |from: usize| {
        let wide = next_at(&mut next_wide, bytes, from, |b| {
            memchr::memchr3(b'-', b'.', 0xE2, b)
        });
        let other = next_at(&mut next_other, bytes, from, |b| {
            memchr::memchr2(0xEF, 0xC2, b)
        });
        Some(wide.min(other)).filter(|&at| at != usize::MAX)
    };
    while let Some(at) = candidate(from) {
        let Some(c) = text[at..].chars().next().filter(|&c| is_splitter(c)) else {
            from = at + 1;
            continue;
        };
        from = at + c.len_utf8();
        if !letter_before(at) || !letter_at(from) {
            continue;
        }
        // The word the splitter is in: letters and splitters between them.
        let in_word = |c: char| is_piece_letter(c) || is_splitter(c);
        let start = text[..at]
            .char_indices()
            .rev()
            .find(|&(_, c)| !in_word(c))
            .map_or(0, |(p, c)| p + c.len_utf8());
        let end = text[at..]
            .char_indices()
            .find(|&(_, c)| !in_word(c))
            .map_or(text.len(), |(p, _)| at + p);
        from = end;
        // Its pieces, joined and folded, after the word before it and a
        // space (`super copy`); (joined offset, text offset) of each
        // piece's start.
        joined.clear();
        pieces.clear();
        if start >= 2 && bytes[start - 1] == b' ' {
            let before = text[..start - 1]
                .char_indices()
                .rev()
                .find(|&(_, c)| !is_piece_letter(c))
                .map_or(0, |(p, c)| p + c.len_utf8());
            if before < start - 1 {
                pieces.push((0, before));
                join(&mut joined, &text[before..start - 1]);
                joined.push(b' ');
            }
        }
        let own = pieces.len();
        let mut piece = start;
        for (i, c) in text[start..end].char_indices() {
            let i = start + i;
            if is_splitter(c) {
                if piece < i {
                    join(&mut joined, &text[piece..i]);
                }
                piece = i + c.len_utf8();
            } else if i == piece {
                pieces.push((joined.len(), i));
            }
        }
        if piece < end {
            join(&mut joined, &text[piece..end]);
        }
        // Sorted by joined offset.
        let piece_at = |j: usize| pieces.binary_search_by_key(&j, |&(p, _)| p).ok();
        for m in automaton.find_overlapping_iter(&joined[..]) {
            let (Some(first), Some(next)) = (
                piece_at(m.start()),
                piece_at(m.end()).or((m.end() == joined.len()).then_some(pieces.len())),
            ) else {
                continue;
            };
            let first = first.max(own);
            // `AA-AAA` is two battery sizes, and `A.A.A` the fold's own.
            if next < first + 2 || joined[m.range()].iter().all(|&b| b == b'a') {
                continue;
            }
            // The splitters before each of the word's pieces after its first.
            for &(_, piece) in &pieces[first + 1..next] {
                let mut p = piece;
                while let Some(c) = text[start..p]
                    .chars()
                    .next_back()
                    .filter(|&c| is_splitter(c))
                {
                    dropped.push(p - c.len_utf8()..p);
                    p -= c.len_utf8();
                }
            }
        }
    }
    if dropped.is_empty() {
        return;
    }
    dropped.sort_unstable_by_key(|r| r.start);
    dropped.dedup();
    let mut whole = String::with_capacity(text.len());
    let mut last = 0;
    for d in &dropped {
        whole.push_str(&text[last..d.start]);
        last = d.end;
    }
    whole.push_str(&text[last..]);
    let mut folded = FoldedText::new();
    folded.fold(&whole, Level::Exact);
    let mut found = Vec::new();
    find_terms::<Range<usize>>(&SIGNALS, &whole, &folded, &[], &mut found, None, &[]);
    // Back to `text`: each offset of `whole` past the bytes dropped before
    // it. `at[i]` is where the i-th splitter was dropped in `whole`, and
    // `gone[i]` the bytes dropped before it.
    let mut gone = Vec::with_capacity(dropped.len() + 1);
    gone.push(0);
    for d in &dropped {
        gone.push(gone[gone.len() - 1] + d.len());
    }
    let at: Vec<usize> = dropped
        .iter()
        .zip(&gone)
        .map(|(d, g)| d.start - g)
        .collect();
    for span in found {
        let start = span.start + gone[at.partition_point(|&a| a <= span.start)];
        let end = span.end + gone[at.partition_point(|&a| a < span.end)];
        let span = start..end;
        // A splitter dropped inside it.
        let inside = dropped.partition_point(|d| d.start <= span.start);
        if dropped.get(inside).is_some_and(|d| d.start < span.end) {
            spans.push(span);
        }
    }
}

/// The first byte at or after `from` of `bytes` that `find` finds
/// (`usize::MAX` for none), remembered in `kept` for the calls after, while
/// `from` has not passed it.
fn next_at(
    kept: &mut Option<usize>,
    bytes: &[u8],
    from: usize,
    find: impl Fn(&[u8]) -> Option<usize>,
) -> usize {
    match *kept {
        Some(at) if at >= from => at,
        _ => *kept.insert(find(&bytes[from..]).map_or(usize::MAX, |p| from + p)),
    }
}

/// The longest span [`signal_terms_in`] makes by merging overlapping terms,
/// in bytes of the text.
const MERGED_SPAN_MAX: usize = 128;

/// Whether `a`'s terms are in `x` and `b`'s in `y` (two folds of a text).
/// Most texts have no term at all, and a search that stops at the first
/// says so faster than the overlapping one. Each step of a search waits on
/// the table read of its last, so four go a byte of each in turn, the
/// others' steps filling that wait: each fold's first half, read on as far
/// as a term begun there can reach, and its second half.
fn terms_present(a: &TermSet, x: &FoldedText, b: &TermSet, y: &FoldedText) -> (bool, bool) {
    let (x, y) = (x.as_str().as_bytes(), y.as_str().as_bytes());
    let (Some(da), Some(db)) = (a.present_in(x), b.present_in(y)) else {
        return (a.automaton.is_some(), b.automaton.is_some());
    };
    let (Ok(sa), Ok(sb)) = (da.start_state(Anchored::No), db.start_state(Anchored::No)) else {
        return (true, true);
    };
    let [x1, x2] = halves(da, x);
    let [y1, y2] = halves(db, y);
    let dfas = [da, da, db, db];
    let texts = [x1, x2, y1, y2];
    let mut sids = [sa, sa, sb, sb];
    let steps = texts.iter().map(|t| t.len()).min().unwrap_or(0);
    let mut i = 0;
    while i < steps && !(0..4).any(|l| dfas[l].is_special(sids[l])) {
        for l in 0..4 {
            sids[l] = dfas[l].next_state(Anchored::No, sids[l], texts[l][i]);
        }
        i += 1;
    }
    let found = |l: usize| rest_has_term(dfas[l], sids[l], &texts[l][i..]);
    (found(0) || found(1), found(2) || found(3))
}

/// `text`'s first half, read on as far as a term of `dfa` that begins in
/// it can reach, and its second half.
fn halves<'t>(dfa: &DFA, text: &'t [u8]) -> [&'t [u8]; 2] {
    let mid = text.len() / 2;
    let reach = (mid + dfa.max_pattern_len().saturating_sub(1)).min(text.len());
    [&text[..reach], &text[mid..]]
}

/// Whether `dfa`, in state `sid`, finds a term in what is left of a text.
fn rest_has_term(dfa: &DFA, mut sid: StateID, rest: &[u8]) -> bool {
    let mut rest = rest.iter();
    loop {
        if dfa.is_special(sid) {
            if dfa.is_match(sid) {
                return true;
            }
            if dfa.is_dead(sid) {
                return false;
            }
        }
        let Some(&byte) = rest.next() else {
            return false;
        };
        sid = dfa.next_state(Anchored::No, sid, byte);
    }
}

/// The terms of `set` in `folded` (a fold of `text` at the set's level),
/// as spans of `text`, appended to `spans`. Every term found on its word
/// boundaries, kept or not, is also appended to `seen` (if given); terms at
/// a span of `skip` (sorted) are left to the pass that saw them.
fn find_terms<N: NameSpan>(
    set: &TermSet,
    text: &str,
    folded: &FoldedText,
    names: &[N],
    spans: &mut Vec<Range<usize>>,
    mut seen: Option<&mut Vec<Range<usize>>>,
    skip: &[Range<usize>],
) {
    let Some(automaton) = &set.automaton else {
        return;
    };
    // Whether the text speaks of the goods that give a pattern another
    // sense, once per pattern ([`TEXT_SENSES`]).
    let mut speaks: Vec<(usize, bool)> = Vec::new();
    let reach = NameReach::new(names);
    let mut kana = None;
    for m in automaton.find_overlapping_iter(folded.as_str()) {
        let pattern = m.pattern().as_usize();
        let (left, right) = set.edges[pattern];
        if (left && !folded.boundary_before(m.start()))
            || (right && !folded.boundary_before(m.end()))
        {
            continue;
        }
        let span = folded.original_span(m.range());
        if skip
            .binary_search_by_key(&(span.start, span.end), |r| (r.start, r.end))
            .is_ok()
        {
            continue;
        }
        if let Some(seen) = seen.as_deref_mut() {
            seen.push(span.clone());
        }
        if left && negated(folded, m.start(), &set.negating) {
            continue;
        }
        if right && made_proof_against(text, span.end, folded, m.end()) {
            continue;
        }
        if other_sense(
            text,
            folded,
            m.range(),
            &set.senses[pattern],
            set.counted[pattern],
            &set.grades,
            &set.not_goods,
            &reach,
        ) {
            continue;
        }
        let marks = &set.marks[pattern];
        if !marks.is_empty()
            && !text
                .get(span.clone())
                .is_some_and(|o| shows_marks(o, marks))
        {
            continue;
        }
        if set.plain[pattern]
            && !text.get(span.clone()).is_some_and(|o| {
                o.chars()
                    .all(|c| c.is_alphanumeric() || c.is_whitespace() || is_hyphen(c))
            })
        {
            continue;
        }
        if set.phrases[pattern] && !text.get(span.clone()).is_some_and(one_clause) {
            continue;
        }
        if set.ratios[pattern] && among_other_ratios(text, span.clone()) {
            continue;
        }
        if set.japanese[pattern] && japanese_after(text, span.end, &mut kana) {
            continue;
        }
        // A term that counts only beside a name counts on either side it
        // may stand (`knock off` both).
        let (introduces, follows) = (set.introduces[pattern], set.follows[pattern]);
        if (introduces != Introduces::No || follows)
            && !(introduces != Introduces::No
                && introduces_a_name(text, span.end, names, introduces))
            && !(follows
                && follows_a_name(
                    text,
                    span.clone(),
                    names,
                    introduces == Introduces::RightBefore,
                ))
        {
            continue;
        }
        let senses = &set.text_senses[pattern];
        if !senses.is_empty() {
            let other = match speaks.iter().find(|&&(p, _)| p == pattern) {
                Some(&(_, other)) => other,
                None => {
                    let other = speaks_of(text, folded, senses, &set.not_goods);
                    speaks.push((pattern, other));
                    other
                }
            };
            if other {
                continue;
            }
        }
        spans.push(span);
    }
}

/// Names (sorted by start) with, for each, the furthest end of it and the
/// names before it: whether a span overlaps a name is then a binary
/// search, so that a text of many terms and many names (`1:1 a Aurelle`
/// repeated) is read in time linear in its length, not in their product.
/// The furthest ends are computed the first time they are needed: most
/// texts never ask.
struct NameReach<'a, N> {
    names: &'a [N],
    reach: std::cell::OnceCell<Vec<usize>>,
}

impl<'a, N: NameSpan> NameReach<'a, N> {
    fn new(names: &'a [N]) -> Self {
        Self {
            names,
            reach: std::cell::OnceCell::new(),
        }
    }

    /// Whether `span` overlaps one of the names.
    fn overlap(&self, span: Range<usize>) -> bool {
        let starting_before = self.names.partition_point(|n| n.span_start() < span.end);
        if starting_before == 0 {
            return false;
        }
        let reach = self.reach.get_or_init(|| {
            self.names
                .iter()
                .scan(0, |furthest, n| {
                    *furthest = n.span_end().max(*furthest);
                    Some(*furthest)
                })
                .collect()
        });
        reach[starting_before - 1] > span.start
    }
}

/// How close before a name a term that introduces one must stand
/// ([`INTRODUCING_TERMS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Introduces {
    /// It is no such term.
    No,
    /// With at most [`INTRODUCED_WITHIN`] words between (`inspired by`).
    Within,
    /// Right before it, or across `of` ([`ADJACENT_INTRODUCING_TERMS`]).
    RightBefore,
}

/// Whether one of `names` (sorted by start) starts at or after byte `end`
/// of `text` with at most [`INTRODUCED_WITHIN`] words between, or, for a
/// term that introduces only right before a name, with only spaces or a
/// hyphen between, or `of` and maybe an article ([`ADJACENT_INTRODUCING_TERMS`]).
fn introduces_a_name<N: NameSpan>(
    text: &str,
    end: usize,
    names: &[N],
    introduces: Introduces,
) -> bool {
    let next = names.partition_point(|n| n.span_start() < end);
    let Some(between) = names.get(next).and_then(|n| text.get(end..n.span_start())) else {
        return false;
    };
    if introduces == Introduces::RightBefore {
        return right_before(between);
    }
    // Counting stops past the limit: a text that repeats the term before
    // one far name walks each gap once, not once per term before it.
    let words = between
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(INTRODUCED_WITHIN + 1)
        .count();
    words <= INTRODUCED_WITHIN
}

/// Whether `between`, the text between a term and a name, is what may
/// stand between them where the term introduces a name only right before
/// it ([`ADJACENT_INTRODUCING_TERMS`]): only spaces or a hyphen (`knock off
/// Aurelle`, `knock-off – Aurelle`), or `of` and maybe an article, each
/// word between such gaps (`knock off of the Aurelle`).
fn right_before(between: &str) -> bool {
    let mut words = between
        .split(|c| is_joining_gap(c) || is_title_divider(c))
        .filter(|w| !w.is_empty());
    let is = |word: Option<&str>, any: &[&str]| {
        word.is_some_and(|w| any.iter().any(|a| w.eq_ignore_ascii_case(a)))
    };
    let (first, second, third) = (words.next(), words.next(), words.next());
    first.is_none()
        || (is(first, &["of"])
            && third.is_none()
            && (second.is_none() || is(second, &["a", "an", "the"])))
}

/// Whether one of `names` (sorted by start) ends right before `term` (a
/// span of `text`), with only spaces or a hyphen between, and `term` is not
/// followed by the word `by` ([`FOLLOWING_TERMS`]).
fn follows_a_name<N: NameSpan>(
    text: &str,
    term: Range<usize>,
    names: &[N],
    dividers: bool,
) -> bool {
    let after = text.get(term.end..).unwrap_or("");
    // The next word is `by`: told from its first letters, not by reading
    // a long word to its end for each term (`inspired版` repeated).
    let next = after.trim_start_matches(|c: char| !c.is_alphanumeric());
    if next
        .get(..2)
        .is_some_and(|by| by.eq_ignore_ascii_case("by"))
        && !next[2..].starts_with(char::is_alphanumeric)
    {
        return false;
    }
    // Names that start before the term; those found inside a longer one
    // share its start, so a few before it are enough to look at.
    let before = names.partition_point(|n| n.span_start() < term.start);
    names[..before].iter().rev().take(8).any(|n| {
        n.span_end() <= term.start
            && text.get(n.span_end()..term.start).is_some_and(|gap| {
                gap.chars()
                    .all(|c| is_joining_gap(c) || (dividers && is_title_divider(c)))
            })
    })
}

/// Whether `c` may stand between a name and a term that follows it
/// ([`FOLLOWING_TERMS`]): a space or a hyphen of any kind (`Aurelle–inspired`).
fn is_joining_gap(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '_' | '\u{2010}'..='\u{2015}')
}

/// Whether `c` divides a title's parts (`High Copy | Aurelle`, `Aurelle
/// / knock off`): it may stand between a name and a term that stands
/// right beside it only ([`ADJACENT_INTRODUCING_TERMS`]), which sellers
/// set apart so, as they do a name.
fn is_title_divider(c: char) -> bool {
    matches!(c, '|' | '｜' | '/' | '／' | ':' | '：' | '·' | '•')
}

/// Whether `folded` (a fold of `text`) holds one of `words` anywhere as
/// the goods, not a colour, part, look or gift of others ([`TEXT_SENSES`]);
/// Latin words whole.
fn speaks_of(
    text: &str,
    folded: &FoldedText,
    words: &[(String, Vec<String>)],
    not_goods: &NotGoods,
) -> bool {
    let f = folded.as_str();
    let latin = |w: &str| w.starts_with(|c: char| c.is_ascii_alphanumeric());
    // `word` of `f` at `at` is whole, or not Latin.
    let whole = |at: usize, word: &str| {
        !latin(word) || (folded.boundary_before(at) && folded.boundary_before(at + word.len()))
    };
    words.iter().any(|(word, parts)| {
        f.match_indices(word.as_str()).any(|(at, _)| {
            let end = at + word.len();
            if !whole(at, word) {
                return false;
            }
            let before = f[..at].strip_suffix(' ').unwrap_or(&f[..at]);
            if not_goods
                .before
                .iter()
                .any(|n| before.ends_with(n.as_str()))
            {
                return false;
            }
            let next = |from: usize| {
                let rest = &f[from..];
                from + (rest.len() - rest.strip_prefix(' ').unwrap_or(rest).len())
            };
            // After the word, or after a `pearl(s)` that follows it.
            let first = next(end);
            let second = latin(word)
                .then(|| {
                    not_goods
                        .skipped
                        .iter()
                        .find(|s| f[first..].starts_with(s.as_str()) && whole(first, s))
                        .map(|s| next(first + s.len()))
                })
                .flatten();
            ![Some(first), second].into_iter().flatten().any(|at| {
                parts
                    .iter()
                    .any(|n| f[at..].starts_with(n.as_str()) && whole(at, n))
                    || look_at(text, folded, at, &not_goods.looks)
            })
        })
    })
}

/// Whether one of `looks` ([`LOOKS`]) starts at folded byte `at` of
/// `folded` (a fold of `text`), whole and joined to the word before by a
/// hyphen as written (`pearls-style`, `opal-look`).
fn look_at(text: &str, folded: &FoldedText, at: usize, looks: &[String]) -> bool {
    let f = folded.as_str();
    if at == 0 || f.as_bytes().get(at - 1) != Some(&b' ') {
        return false;
    }
    let mut written = text
        .get(folded.original_span(at - 1..at))
        .unwrap_or("")
        .chars();
    matches!((written.next(), written.next()), (Some(c), None) if is_hyphen(c))
        && looks
            .iter()
            .any(|n| f[at..].starts_with(n.as_str()) && folded.boundary_before(at + n.len()))
}

/// Words joined by a hyphen right after a Latin signal term that make it
/// what the goods resist (`dupe-proof engraving`, `counterfeit-proof
/// hologram`, `copy-resistant`), as `anti` before it does. Exact-folded
/// and the same in the obfuscation fold. With a space between, `proof` is
/// a coin's finish (`replica proof coin`).
const PROOF_WORDS: &[&str] = &["proof", "resistant"];

/// Whether the term ending at byte `end` of `text` (folded byte
/// `folded_end`) is followed by a hyphen and one of [`PROOF_WORDS`].
fn made_proof_against(text: &str, end: usize, folded: &FoldedText, folded_end: usize) -> bool {
    let hyphen = text
        .get(end..)
        .and_then(|after| after.chars().next())
        .is_some_and(is_hyphen);
    if !hyphen {
        return false;
    }
    let Some(after) = folded.as_str().get(folded_end..) else {
        return false;
    };
    let skipped = after.len() - after.trim_start_matches(' ').len();
    PROOF_WORDS.iter().any(|word| {
        after[skipped..].starts_with(word)
            && folded.boundary_before(folded_end + skipped + word.len())
    })
}

/// Whether a negating word ([`NEGATING_WORDS`], folded as `folded` is) is
/// the word right before folded byte `at` (one separator between).
fn negated(folded: &FoldedText, at: usize, negating: &[String]) -> bool {
    let Some(before) = folded.as_str().get(..at) else {
        return false;
    };
    let Some(before) = before.strip_suffix(' ') else {
        return false;
    };
    negating
        .iter()
        .any(|word| ends_with_phrase(folded, before, word, true))
}

/// Whether the term at folded bytes `at` of `exact` (the exact fold of
/// `original`) has one of the words of `before` right before it or of
/// `after` right after it (one separator space may sit between; a Latin
/// word must be whole), or, where
/// `counted`, a count ([`battery_count`], [`counted_after`]): another sense
/// ([`OTHER_SENSES`]). Never when one of `grades` follows it.
#[allow(clippy::too_many_arguments)]
fn other_sense<N: NameSpan>(
    original: &str,
    exact: &FoldedText,
    at: Range<usize>,
    senses: &Senses,
    counted: bool,
    grades: &[String],
    not_goods: &NotGoods,
    names: &NameReach<'_, N>,
) -> bool {
    let Senses {
        before,
        after,
        after_a_word,
        after_a_number,
        before_a_number,
    } = senses;
    if before.is_empty() && after.is_empty() && !counted && !after_a_number && !before_a_number {
        return false;
    }
    // Latin words and numbers match whole (`5 AAA`, not `X5 AAA`).
    let latin = |w: &str| w.starts_with(|c: char| c.is_ascii_alphanumeric());
    let text = exact.as_str();
    let ahead = text.get(..at.start).unwrap_or("");
    let ahead = ahead.strip_suffix(' ').unwrap_or(ahead);
    let from = at.end + usize::from(text.get(at.end..).is_some_and(|t| t.starts_with(' ')));
    // What follows, as far as a sense is read ([`SENSE_WINDOW`]).
    let behind_end = text.floor_char_boundary((from + SENSE_WINDOW).min(text.len()));
    let behind = text.get(from..behind_end).unwrap_or("");
    let follows =
        |w: &str| behind.starts_with(w) && (!latin(w) || exact.boundary_before(from + w.len()));
    // A gemstone that is only a look (`AAA, pearls-style dial`).
    let a_look = |w: &str| {
        not_goods.gems.iter().any(|g| g == w) && {
            let rest = &behind[w.len()..];
            let at = behind_end - rest.strip_prefix(' ').unwrap_or(rest).len();
            look_at(original, exact, at, &not_goods.looks)
        }
    };
    // The original text between folded bytes `end` (where a word ends)
    // and `start` (where the next begins), and whether it keeps them in
    // one phrase: no sentence's or line's end between (`Free consultation.
    // 1:1 copy`, `欢迎咨询\n1:1原版`).
    let gap = |end: usize, start: usize| {
        let from = end
            .checked_sub(1)
            .map_or(0, |e| exact.original_span(e..end).end);
        let to = exact.original_span(start..start + 1).start;
        original.get(from..to).unwrap_or("")
    };
    let one_phrase = |end: usize, start: usize| !gap(end, start).contains(ends_a_phrase);
    // The word right before, whole (`2pcs`, not `X5`'s `5`).
    let word_before = last_word_within(ahead);
    let whole_before =
        !word_before.is_empty() && exact.boundary_before(ahead.len() - word_before.len());
    let counts = || {
        // Not the second number of a ratio (`1:1 AAA`).
        let ratio = gap(0, ahead.len() - word_before.len()).ends_with([':', '∶', '：', '比']);
        // A word for batteries that is also an ordinary word, after a
        // count (`2 pin AAA`, not `lapel pin AAA`).
        let counted_word = COUNTED_BATTERY_WORDS.contains(&word_before) && {
            let rest = ahead[..ahead.len() - word_before.len()].trim_end_matches(' ');
            let count = last_word_within(rest);
            !count.is_empty()
                && exact.boundary_before(rest.len() - count.len())
                && battery_count(count)
        };
        (whole_before && !ratio && battery_count(word_before))
            || (whole_before && counted_word)
            || counted_after(behind)
    };
    // One or two words between the term and a word of `after_a_word`
    // after it (`1:1 virtual skin consultation`), none a grade nor part of
    // a name (`1:1 Aurelle lesson` is a copy's lesson). The words between
    // are walked once for all of them.
    let follows_a_word = || {
        let mut rest = behind;
        for _ in 0..WORDS_BETWEEN_MAX {
            let Some((word, after)) = rest.split_once(' ') else {
                return false;
            };
            let word_at = behind_end - rest.len();
            let span = exact.original_span(word_at..word_at + word.len());
            if word.is_empty()
                || grades.iter().any(|g| g == word)
                || LOOSE_GRADE_WORDS.contains(&word)
                || names.overlap(span)
            {
                return false;
            }
            rest = after;
            let from = behind_end - rest.len();
            if after_a_word
                .iter()
                .any(|w| rest.starts_with(w.as_str()) && exact.boundary_before(from + w.len()))
            {
                // Words of one phrase, not a list's or a sentence's
                // (`1:1 watch, free consultation`): only spaces between.
                let between = exact.original_span(at.end..from);
                return original.get(between).is_some_and(|b| {
                    b.chars()
                        .all(|c| c.is_alphanumeric() || c == ' ' || c == '\u{a0}')
                });
            }
        }
        false
    };
    let sensed = (before
        .iter()
        .any(|w| ends_with_phrase(exact, ahead, w, latin(w)))
        && one_phrase(ahead.len(), at.start))
        || (after.iter().any(|w| follows(w) && !a_look(w)) && one_phrase(at.end, from))
        || (!after_a_word.is_empty() && follows_a_word())
        || (counted && counts())
        || (*after_a_number && whole_before && word_before.bytes().all(|b| b.is_ascii_digit()))
        || (*before_a_number
            && behind.starts_with(|c: char| c.is_ascii_digit())
            && one_phrase(at.end, from));
    // A grade word decides, unless the sense's own word follows it
    // (`2 x AAA quality alkaline batteries`).
    sensed
        && !grades.iter().any(|w| {
            follows(w) && {
                let rest = behind[w.len()..].trim_start_matches(' ');
                !after.iter().any(|a| rest.starts_with(a.as_str()))
            }
        })
}

/// Bytes of a fold before and after a signal term that its sense is read
/// from (a few words each side): the work a term costs is bounded, so that
/// a text of many terms (`11` repeated) is read in time linear in its
/// length.
const SENSE_WINDOW: usize = 256;

/// The last word of `ahead` (a prefix of a fold; what follows its last
/// space), looked for in its last [`SENSE_WINDOW`] bytes: a longer word is
/// no count nor word of a sense.
fn last_word_within(ahead: &str) -> &str {
    let window = ahead.floor_char_boundary(ahead.len().saturating_sub(SENSE_WINDOW));
    ahead[window..].rsplit(' ').next().unwrap_or("")
}

/// Whether `written` (a term of several words as the text writes it) is in
/// one clause: no line break between its words, nor a sentence's or a
/// clause's end (`.`, `,`, `:`… before a space, or a full-width one), so
/// that `a mirror, quality leather` or `mirror.\nQuality: excellent` is no
/// `mirror quality`, while `super.copy` (a mark that splits the words
/// alone) still is `super copy`.
fn one_clause(written: &str) -> bool {
    let mut chars = written.chars().peekable();
    while let Some(c) = chars.next() {
        let ends = match c {
            '.' | '!' | '?' | ';' | ',' | ':' => chars.peek().is_some_and(|n| n.is_whitespace()),
            // Full-width and small forms, which need no space after.
            '，' | '、' | '：' | '﹐' | '﹑' | '﹒' | '﹔' | '﹕' | '﹖' | '﹗' => true,
            _ => ends_a_phrase(c),
        };
        if ends {
            return false;
        }
    }
    true
}

/// Whether `c` ends a sentence or a line: what stands between a term and
/// a word beside it must not, for that word to give it another sense.
fn ends_a_phrase(c: char) -> bool {
    matches!(
        c,
        '.' | '!'
            | '?'
            | ';'
            | '。'
            | '！'
            | '？'
            | '；'
            | '…'
            | '\n'
            | '\r'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Whether `before` (a prefix of the exact fold `exact`) ends with
/// `phrase`, which starts a word there when `whole_word`.
fn ends_with_phrase(exact: &FoldedText, before: &str, phrase: &str, whole_word: bool) -> bool {
    // The last bytes first: most phrases end otherwise than the text before
    // a name, and a byte costs less than a comparison of the whole phrase.
    before.as_bytes().last() == phrase.as_bytes().last()
        && before.ends_with(phrase)
        && (!whole_word || exact.boundary_before(before.len() - phrase.len()))
}

/// Words that may stand between a Latin compatibility phrase and the name
/// it introduces (`strap for your Aurelle`, `fits most Vellano bags`).
/// Exact-folded.
/// Not `her`, `his` or `all`: `Gift for her Aurelle watch` or `gift for all
/// Aurelle fans` is a gift, not an accessory; `strap for any Aurelle watch`
/// is one.
///
/// The articles and `your` of the other languages whose `for` is a phrase
/// (`para el Orvanta X12`, `pour la montre Aurelle`, `per il`, `voor de`,
/// `pour votre`), exact-folded; German `für das`, `für den`, `für die` are
/// read as written ([`GERMAN_DETERMINERS`]).
const DETERMINERS: &[&str] = &[
    "the", "a", "an", "any", "this", "your", "my", "our", "their", "most", "el", "la", "los",
    "las", "le", "les", "il", "lo", "de", "het", "votre", "vos", "su", "sus", "tu", "uw",
];

/// Articles and `your` that may stand between German `für` and the name
/// (`Hülle für das Orvanta X12`), as the text writes them, any case.
const GERMAN_DETERMINERS: &[&str] = &[
    "das", "den", "die", "dem", "dein", "deine", "deinen", "deinem",
];

/// Goods an accessory fits, as titles in the Romance languages and Dutch
/// name them between a compatibility phrase and the brand (`pour montre
/// Aurelle`, `para reloj Aurelle`, `voor horloge Aurelle`), one or two of
/// them ([`FITTED_GOODS_MAX`]: `para reloj inteligente Orvanta`), and as
/// a list of names ends (`Samsung, Orvanta and Pixel phones`). Closed, as
/// the phrases are: a word for the buyer (`pour femme Vellano`, `pour
/// homme`), a sale (`for sale genuine Aurelle bag`) or anything else
/// between keeps the mention strong. Exact-folded, whole words.
const FITTED_GOODS: &[&str] = &[
    "watch",
    "watches",
    "phone",
    "phones",
    "smartphone",
    "smartphones",
    "smartwatch",
    "tablet",
    "tablets",
    "laptop",
    "laptops",
    "camera",
    "cameras",
    "models",
    "devices",
    "montre",
    "montres",
    "telephone",
    "portable",
    "tablette",
    "ordinateur",
    "appareil",
    "connectee",
    "reloj",
    "relojes",
    "telefono",
    "movil",
    "celular",
    "tableta",
    "portatil",
    "camara",
    "inteligente",
    "orologio",
    "orologi",
    "cellulare",
    "fotocamera",
    "relogio",
    "telemovel",
    "horloge",
    "telefoon",
    "smart",
];

/// How many words of [`FITTED_GOODS`] may stand between a phrase and the
/// name.
const FITTED_GOODS_MAX: usize = 2;

/// The longest word of [`FITTED_GOODS`], in bytes.
const FITTED_GOODS_WORD_MAX: usize = 11;

/// Words that may stand between a Latin compatibility phrase other than
/// `for` and the name it introduces (`fits all Vellano bags`, `compatible
/// with every Orvanta phone`); after `for` they make a gift (`gift for all
/// Aurelle fans`). Exact-folded, five bytes at most.
const ALL_DETERMINERS: &[&str] = &["all", "every"];

/// Words that may stand between a CJK compatibility phrase and the name
/// it introduces, with or without a space (`适用于所有奥凡塔`, for all
/// Orvanta). Exact-folded.
const CJK_DETERMINERS: &[&str] = &["所有", "各款", "各种", "各種"];

/// Words of newness that may stand between a determiner after a Latin
/// compatibility phrase and the name (`for the new Orvanta X12`, `for your
/// latest Orvanta`): a model's generation, not a gift's receiver.
const NEWNESS: &[&str] = &["new", "latest", "newest"];

/// Words of a model's age that may stand right before the name after a
/// compatibility phrase or a determiner (`strap for vintage Aurelle`, `for
/// your older Orvanta`), as a size may (`strap for 38mm Aurelle`,
/// [`is_size`]).
const MODEL_AGE: &[&str] = &["older", "vintage"];

/// The longest of [`DETERMINERS`], [`ALL_DETERMINERS`], [`NEWNESS`] and
/// [`MODEL_AGE`], in bytes (a size is no longer either).
const DETERMINER_MAX: usize = 7;

/// Whether `word` (exact-folded: a fold's word has no `.`) is a size in
/// whole millimetres or centimetres (`38mm`, `4cm`).
fn is_size(word: &str) -> bool {
    let number = word
        .strip_suffix("mm")
        .or_else(|| word.strip_suffix("cm"))
        .unwrap_or("");
    !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
}

/// Whether the mention at `name` (a range of the exact fold `exact`) is
/// nominative use: after a compatibility phrase
/// ([`compatibility_phrase_before`]) and not before a word of [`ADMIRERS`],
/// or before a word of [`COMPATIBLE_AFTER`] or [`DEDICATED_AFTER`]
/// ([`compatibility_word_after`]).
pub(crate) fn nominative_use(exact: &FoldedText, name: Range<usize>) -> bool {
    let (after, next_word, whole_next) = word_after(exact, name.clone());
    (compatibility_phrase_before(exact, name.start)
        && !(whole_next && ADMIRERS.contains(&next_word)))
        || compatibility_word_after(after, next_word, whole_next)
}

/// What follows the mention at `name` (a range of the exact fold `exact`):
/// the fold after it (its separator space taken off), the word there (read
/// within [`NEXT_WORD_MAX`] bytes), and whether that word is a whole one
/// (the mention ends on a word boundary).
#[inline]
fn word_after(exact: &FoldedText, name: Range<usize>) -> (&str, &str, bool) {
    let text = exact.as_str();
    let after = text.get(name.end..).unwrap_or("");
    let after = after.strip_prefix(' ').unwrap_or(after);
    // Read within a few bytes (a text of thousands of names and no space,
    // `奥瑞尔` repeated, is read in time linear in its length).
    let near = &after[..after.floor_char_boundary(NEXT_WORD_MAX)];
    let next_word = near.split(' ').next().unwrap_or("");
    let whole_next = name.end >= text.len() || exact.boundary_before(name.end);
    (after, next_word, whole_next)
}

/// Compatibility phrases the exact fold cannot tell from other text, read
/// where the text as written shows them ([`written_compatibility_before`]):
/// (the phrase as the exact fold writes it, whether a slash ends it as
/// written).
/// - `compatible w/`, the listings' abbreviation of `compatible with`: the
///   fold drops the slash, and `compatible w Orvanta` is no phrase, nor
///   `compatible w/o` (without) or `w/out`;
/// - `for use with`, `for` extended (`Battery for use with Orvanta X12`):
///   the fold drops punctuation, and `for use, with Orvanta watch` is no
///   phrase; its words apart by blanks alone, blanks after it.
///
/// Both say nothing but compatibility, as `compatible with` does
/// ([`EXPLICIT_COMPATIBILITY`]): a list of any names may follow them
/// ([`listed_after_phrase`]). Determiners, a model's size or age and the
/// goods' noun may stand between them and the name, as after the others
/// ([`phrase_before`]).
const WRITTEN_PHRASES: &[(&str, bool)] = &[("compatible w", true), ("for use with", false)];

/// How far before a name (bytes of the text as written) a phrase of
/// [`WRITTEN_PHRASES`] may end and still be read as its phrase
/// ([`phrase_before`]): past what may stand between, a determiner, the
/// goods' noun ([`FITTED_GOODS_MAX`] words of at most
/// [`FITTED_GOODS_WORD_MAX`] bytes), a size or an age and a word of newness.
const WRITTEN_PHRASE_REACH: usize = 160;

/// Whether `before` (the text as written up to a name) has, in its last
/// [`WRITTEN_PHRASE_REACH`] bytes, `w/` (or `w／`) or `with` in ASCII
/// letters of any case, which each of [`WRITTEN_PHRASES`] ends with as
/// written: where it has neither, no such phrase comes before the name
/// (the one test before the fold is read for them, for a name alone and
/// for a list's names).
/// (A phrase written in other letters the fold reads as these, `ｗｉｔｈ`,
/// is not read as one: the mention stays strong.)
fn written_with_near(before: &str) -> bool {
    let bytes = before.as_bytes();
    let near = &bytes[bytes.len().saturating_sub(WRITTEN_PHRASE_REACH)..];
    near.iter().enumerate().any(|(i, &b)| {
        (b | 0x20) == b'w' && {
            let after = &near[i + 1..];
            after.starts_with(b"/")
                || after.starts_with("\u{ff0f}".as_bytes())
                || (after.len() >= 3 && after[..3].eq_ignore_ascii_case(b"ith"))
        }
    })
}

/// Words right after `w/` that make it `w/o` or `w/out` (without), as
/// written, any case: no phrase.
const WITHOUT: &[&str] = &["o", "out"];

/// Which compatibility phrases [`phrase_before`] reads.
#[derive(Clone, Copy, Debug)]
enum Phrases<'t> {
    /// [`COMPATIBILITY_PHRASES`], in the exact fold.
    Folded,
    /// [`WRITTEN_PHRASES`], found in the exact fold and checked in the
    /// text as written, this one.
    Written(&'t str),
}

impl Phrases<'_> {
    /// Whether `before` (a prefix of the exact fold `exact`) ends with one
    /// of these phrases, a Latin one a whole word; only a Latin one when
    /// `latin_only`, and not `for` when `all` (a determiner of all follows:
    /// `gift for all Aurelle fans`, [`ALL_DETERMINERS`]).
    fn end(self, exact: &FoldedText, before: &str, latin_only: bool, all: bool) -> bool {
        match self {
            Self::Folded => COMPAT.iter().any(|(phrase, latin)| {
                (*latin || !latin_only)
                    && !(all && phrase == "for")
                    && ends_with_phrase(exact, before, phrase, *latin)
            }),
            Self::Written(text) => WRITTEN_PHRASES.iter().any(|&(phrase, slash)| {
                ends_with_phrase(exact, before, phrase, true)
                    && written_as_phrase(
                        text,
                        exact,
                        before.len() - phrase.len()..before.len(),
                        slash,
                    )
            }),
        }
    }
}

/// Whether the phrase of [`WRITTEN_PHRASES`] at `folded` (a range of the
/// exact fold `exact` of `text`) is written as one: its words apart by
/// blanks alone (no `,` between: `for use, with`), then, where `slash`, a
/// slash right after it and no `o` or `out` after that ([`WITHOUT`]), else
/// a blank; and `for use with` not after a word of [`MAKERS`] (`OEM
/// factory for use with Aurelle`, as [`made_for`]).
fn written_as_phrase(text: &str, exact: &FoldedText, folded: Range<usize>, slash: bool) -> bool {
    let span = exact.original_span(folded.clone());
    let (Some(written), Some(after)) = (text.get(span.clone()), text.get(span.end..)) else {
        return false;
    };
    let phrase = &exact.as_str()[folded.clone()];
    let mut words = 0;
    for word in written.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !word
            .chars()
            .all(|c| c.is_alphabetic() || unicode_normalization::char::is_combining_mark(c))
        {
            return false;
        }
        words += 1;
    }
    if words != phrase.split(' ').count() {
        return false;
    }
    let ends = if slash {
        after.strip_prefix(['/', '／']).is_some_and(|rest| {
            let next = rest.trim_start();
            let word = &next[..next
                .find(|c: char| !c.is_alphanumeric())
                .unwrap_or(next.len())];
            rest.starts_with(|c: char| c.is_whitespace() || c.is_alphanumeric())
                && !WITHOUT.iter().any(|w| w.eq_ignore_ascii_case(word))
        })
    } else {
        after.starts_with(char::is_whitespace)
    };
    ends && !(phrase.starts_with("for ") && made_for(&exact.as_str()[..folded.start + "for".len()]))
}

/// Whether the mention at byte span `span` of `text` (whose exact fold is
/// `exact`) comes right after a phrase the exact fold cannot read, and not
/// before a word of [`ADMIRERS`] (`für Aurelle Fans`, `for use with
/// Aurelle fans`): German `für` (for) as the text writes it ([`fur_before`]:
/// `Hülle für Orvanta X12`, `für das Orvanta X12`), which the exact fold
/// reads as `fur`, an English word (`Faux fur Vellano bag`); or one of
/// [`WRITTEN_PHRASES`] (`compatible w/ Orvanta X12`, `for use with Orvanta
/// X12`), with what may stand between a phrase and the name
/// ([`phrase_before`]). A mention with no `r` right before it pays one
/// test for `für`.
pub(crate) fn written_compatibility_before(
    text: &str,
    exact: &FoldedText,
    span: Range<usize>,
) -> bool {
    let before = text.get(..span.start).unwrap_or("");
    // Most mentions follow neither: two tests of the text as written
    // before the fold is looked at.
    let fur = fur_before(before);
    if !fur && !written_with_near(before) {
        return false;
    }
    let name = exact.folded_range(span);
    if !(fur || phrase_before(exact, name.start, true, Phrases::Written(text))) {
        return false;
    }
    let (_, next_word, whole_next) = word_after(exact, name);
    !(whole_next && ADMIRERS.contains(&next_word))
}

/// Whether `before` (the text before a name, as written) ends with German
/// `für` ([`ends_with_fur`]), blanks after it, or with `für`, one of
/// [`GERMAN_DETERMINERS`] and blanks (`für das Orvanta X12`).
fn fur_before(before: &str) -> bool {
    let before = before.trim_end();
    // The fast test first: most names follow no `für`, and `für`'s
    // articles end in `s`, `n`, `e` or `m`.
    match before.as_bytes().last().map(u8::to_ascii_lowercase) {
        Some(b'r') => ends_with_fur(before),
        Some(b's' | b'n' | b'e' | b'm') => GERMAN_DETERMINERS.iter().any(|d| {
            before
                .len()
                .checked_sub(d.len())
                .and_then(|at| Some((before.get(at..)?, &before[..at])))
                .is_some_and(|(word, rest)| {
                    word.eq_ignore_ascii_case(d)
                        && rest.ends_with(char::is_whitespace)
                        && ends_with_fur(rest)
                })
        }),
        _ => false,
    }
}

/// Whether `text` ends with German `für` (for), blanks after it, a whole
/// word as written, in any case: `für`, `Für`, `FÜR`, and with `u` and a
/// combining diaeresis (U+0308), which NFC and NFKC make `ü`, as a text not
/// normalized writes it. Not inside a word (`dafür`), nor after a
/// combining mark, which belongs to the letter before it.
fn ends_with_fur(text: &str) -> bool {
    let Some(before) = text.trim_end().strip_suffix(['r', 'R']) else {
        return false;
    };
    let umlaut = before.strip_suffix(['ü', 'Ü']).or_else(|| {
        before
            .strip_suffix('\u{308}')
            .and_then(|b| b.strip_suffix(['u', 'U']))
    });
    let Some(rest) = umlaut.and_then(|b| b.strip_suffix(['f', 'F'])) else {
        return false;
    };
    !rest
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c))
}

/// Words that join the names of a list (`Samsung, Orvanta and Pixel`),
/// as written (ASCII ones in any case), in the languages whose phrases are
/// read.
const LIST_WORDS: &[&str] = &[
    "and", "or", "und", "oder", "et", "ou", "y", "o", "e", "en", "of", "и", "или",
];

/// Characters that join the names of a list (`Orvanta X12, Orvanta X13`,
/// `iPhone 15 & Orvanta X12`, `Samsung/Orvanta`, `奥凡塔X12、奥凡塔X13`).
fn joins_a_list(c: char) -> bool {
    matches!(c, ',' | '/' | '&' | '+' | '、' | '，' | '／' | '＆' | '＋')
}

/// Characters that end a list's last name where a clause or a sentence
/// ends (`Orvanta X13. Original box`, `Orvanta X13 (2024)`, `… – black`).
fn ends_a_list(c: char) -> bool {
    ends_a_phrase(c)
        || matches!(
            c,
            ')' | '(' | '[' | ']' | '|' | '-' | '–' | '—' | ':' | '）' | '（'
        )
}

/// Words that say who the goods are for, not what they fit: not a name of
/// a list (`pour femme, Vellano cuir`). English ones are ordinary words,
/// which no list's name is ([`vocabulary`]).
const BUYERS: &[&str] = &[
    "femme", "femmes", "homme", "hommes", "enfant", "enfants", "mujer", "mujeres", "hombre",
    "hombres", "nino", "ninos", "donna", "donne", "uomo", "uomini", "damen", "herren", "dames",
    "heren", "kinder",
];

/// Names a list holds at most before a name: a list is read back this far.
const LIST_ITEMS_MAX: usize = 8;
/// Words of one name of a list, its model's words included (`iPhone 15
/// Pro Max`).
const ITEM_WORDS_MAX: usize = 4;
/// Bytes of one word of a list read at most (a longer run is no name).
const ITEM_WORD_BYTES_MAX: usize = 32;
/// Characters of a CJK word of a list where a phrase written before the
/// name without a space is looked for (`适用于奥凡塔X12`).
const CJK_STARTS_MAX: usize = 12;
/// Model words read after a list's later name (`Orvanta X13 Pro`).
const MODEL_WORDS_MAX: usize = 3;

/// Words of a model after a name: a model's number is any word with a
/// digit (`X13`, `15`); these are the words of its line.
const MODEL_WORDS: &[&str] = &[
    "pro", "max", "plus", "mini", "ultra", "lite", "air", "se", "classic", "sport", "series", "fe",
];

/// Whether `c` may be part of a word of a list's name (`iPhone`, `X12`,
/// `S23+` without its `+`, `奥凡塔X12`).
fn item_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '\''
}

/// The last word of `before` (no blank at its end) and where it starts,
/// if it is made of [`item_char`]s, at most [`ITEM_WORD_BYTES_MAX`] bytes,
/// and a blank or the text's start before it.
fn last_item_word(before: &str) -> Option<usize> {
    let mut start = before.len();
    for (at, c) in before.char_indices().rev() {
        if !item_char(c) {
            if !c.is_whitespace() {
                return None;
            }
            break;
        }
        start = at;
        if before.len() - start > ITEM_WORD_BYTES_MAX {
            return None;
        }
    }
    (start < before.len()).then_some(start)
}

/// `before` without a list's joining character or word at its end (blanks
/// around taken off too; `, and` as one), if it ends with one.
fn strip_list_joint(before: &str) -> Option<&str> {
    let before = before.trim_end();
    if let Some(rest) = before.strip_suffix(joins_a_list) {
        return Some(rest.trim_end());
    }
    let start = last_item_word(before)?;
    let word = &before[start..];
    if !LIST_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)) {
        return None;
    }
    let rest = before[..start].trim_end();
    Some(rest.strip_suffix(',').map_or(rest, str::trim_end))
}

/// Whether `word` (as written) can begin a name of a list: a word with a
/// digit (`15`, `X12`), CJK (`奥凡塔X12`), a capital after its first letter
/// (`iPhone`), or any word but an English ordinary word (`Samsung`, not
/// `Sale`, `Men`) or a word of [`BUYERS`].
fn begins_a_name(word: &str) -> bool {
    if word
        .chars()
        .any(|c| c.is_numeric() || super::normalize::is_cjk(c))
        || word.chars().skip(1).any(char::is_uppercase)
    {
        return true;
    }
    let folded = fold_exact(word);
    !vocabulary::is_ordinary_ascii(word) && !BUYERS.contains(&folded.as_str())
}

/// Whether the mention at byte span `span` of `text` (whose exact fold is
/// `exact`) is a later name of a list that a compatibility phrase begins
/// (`Compatible models: Orvanta X12, Orvanta X13`, `compatible with
/// Samsung, Orvanta and Pixel phones`, `for iPhone 15 & Orvanta X12`,
/// `适用于奥凡塔X12、奥凡塔X13`): the phrase is said of every name of the
/// list, which is nominative use as the first is.
///
/// The list is read back from the mention: a joint (`,`, `/`, `&`, `、`,
/// `and`, `or`…: [`joins_a_list`], [`LIST_WORDS`]), then a name of one to
/// [`ITEM_WORDS_MAX`] words ([`begins_a_name`] for its first; a model's
/// words may follow it), then a phrase right before that name
/// ([`phrase_before`], German `für` as written, [`fur_before`], or one of
/// [`WRITTEN_PHRASES`]), or another joint and name, at most
/// [`LIST_ITEMS_MAX`] of them. Anything else (a sentence's end, an
/// ordinary word: `For Sale, Aurelle Watch`) ends the reading, the
/// mention strong.
///
/// One of the list's names before the mention must be written as a device's
/// ([`names_a_device`]: a model number, `Pixel 7`, `X12`; a capital inside a
/// word, `iPhone`; CJK), not counting the mention's own model: a list of
/// plain words is as often an occasion, a buyer or a place as a device
/// (`Gift for Christmas, Aurelle watches`, `For HER, Aurelle watch`, `Top
/// pick for 2024, Aurelle watch`), and those stay strong, as does `Phone
/// Case For Samsung, Orvanta X12`, where nothing in the text tells `Samsung`
/// from them. After a phrase that says nothing but compatibility
/// ([`EXPLICIT_COMPATIBILITY`]: `compatible with Samsung, Orvanta and Pixel
/// phones`, `Strap fits Samsung / Aurelle / Garmin watches`; and
/// [`WRITTEN_PHRASES`]: `compatible w/ Samsung, Orvanta X12`) any list of
/// names will do.
///
/// And the mention must be a name of the list, not the start of a clause
/// of its own after it: after it only its model's words (a word with a
/// digit, [`MODEL_WORDS`]), then the text's end, another joint, a clause's
/// end ([`ends_a_list`]) or the goods the list's names fit
/// ([`FITTED_GOODS`]: `Pixel phones`). `Case for Orvanta X12, Orvanta logo
/// print` names the brand a second time to say what the case shows (the
/// brand's logo): that is the case's own design, no device it fits, and it
/// stays strong.
pub(crate) fn listed_after_phrase(text: &str, exact: &FoldedText, span: Range<usize>) -> bool {
    let Some(mut before) = text.get(..span.start).and_then(strip_list_joint) else {
        return false;
    };
    if !ends_a_list_name(text.get(span.end..).unwrap_or("")) {
        return false;
    }
    let mut device = false;
    for _ in 0..LIST_ITEMS_MAX {
        // The name's words, last first.
        let mut starts = [0; ITEM_WORDS_MAX];
        let mut words = 0;
        let mut rest = before;
        while words < ITEM_WORDS_MAX {
            let Some(start) = last_item_word(rest) else {
                break;
            };
            let word = &rest[start..];
            if LIST_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)) {
                break;
            }
            starts[words] = start;
            words += 1;
            rest = rest[..start].trim_end();
        }
        for &start in &starts[..words] {
            let word_end = before[start..]
                .find(char::is_whitespace)
                .map_or(before.len(), |e| start + e);
            let word = &before[start..word_end];
            if !begins_a_name(word) {
                continue;
            }
            // CJK is written without spaces: the phrase may end inside
            // the word (`适用于奥凡塔X12`).
            let cjk = word.chars().any(super::normalize::is_cjk);
            for (offset, _) in word
                .char_indices()
                .take(if cjk { CJK_STARTS_MAX } else { 1 })
            {
                let at = start + offset;
                let folded_at = exact.folded_range(at..text.len()).start;
                if phrase_before(exact, folded_at, true, Phrases::Folded) || fur_before(&text[..at])
                {
                    return device
                        || names_a_device(&before[at..])
                        || explicit_compatibility_before(&text[..at]);
                }
                // `compatible w/`, `for use with`: nothing but compatibility.
                if written_with_near(&text[..at])
                    && phrase_before(exact, folded_at, true, Phrases::Written(text))
                {
                    return true;
                }
            }
        }
        // A name must stand there for the list to go on (`Charger for
        // Samsung and more, Orvanta X12`: `more` is none).
        let named = starts[..words].iter().any(|&start| {
            let word = &before[start..];
            begins_a_name(&word[..word.find(char::is_whitespace).unwrap_or(word.len())])
        });
        if !named {
            return false;
        }
        device = device || names_a_device(&before[starts[words - 1]..]);
        let Some(next) = strip_list_joint(rest) else {
            return false;
        };
        before = next;
    }
    false
}

/// Whether a name of a list (as written) is written as a device's: a word of
/// letters and digits (`X12`, `S23`), a number of one to three digits after
/// a word (`Pixel 7`, `iPhone 15`; not a year, `Christmas 2024`), a capital
/// after a small letter inside a word (`iPhone`, `AirPods`; not `HER`), or
/// CJK.
fn names_a_device(name: &str) -> bool {
    let mut after_word = false;
    name.split_whitespace().any(|word| {
        let letters = word.chars().any(char::is_alphabetic);
        let digits = word.chars().filter(char::is_ascii_digit).count();
        let device = word.chars().any(super::normalize::is_cjk)
            || letters && digits > 0
            || after_word && !letters && (1..=3).contains(&digits)
            || word
                .chars()
                .zip(word.chars().skip(1))
                .any(|(a, b)| a.is_lowercase() && b.is_uppercase());
        after_word = letters;
        device
    })
}

/// The Latin compatibility phrases that say nothing else (`for` also
/// names an occasion, a buyer or a place), lower case as written.
const EXPLICIT_COMPATIBILITY: &[&str] = &[
    "compatible with",
    "compatible model",
    "compatible models",
    "fits",
    "to fit",
    "compatible avec",
    "compatible con",
    "compatibile con",
    "compatível com",
    "kompatibel mit",
];

/// Whether `before` (the text before a list's first name, as written) ends
/// with one of [`EXPLICIT_COMPATIBILITY`], a whole word, then blanks or a
/// colon.
fn explicit_compatibility_before(before: &str) -> bool {
    let before = before.trim_end().trim_end_matches(':').trim_end();
    EXPLICIT_COMPATIBILITY.iter().any(|phrase| {
        before.len() >= phrase.len()
            && before.is_char_boundary(before.len() - phrase.len())
            && before[before.len() - phrase.len()..].to_lowercase() == *phrase
            && !before[..before.len() - phrase.len()]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
    })
}

/// Whether `after`, the text after a list's later name, ends that name:
/// its model's words at most, then the end, a joint, a clause's end or the
/// goods the list's names fit ([`listed_after_phrase`]).
fn ends_a_list_name(mut after: &str) -> bool {
    for _ in 0..MODEL_WORDS_MAX {
        let trimmed = after.trim_start();
        let len = trimmed
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-' || c == '+'))
            .map_or(trimmed.len(), |(at, _)| at);
        let word = &trimmed[..len];
        let model = len > 0
            && (word.bytes().any(|b| b.is_ascii_digit())
                || MODEL_WORDS.iter().any(|m| m.eq_ignore_ascii_case(word)));
        if !model {
            break;
        }
        after = &trimmed[len..];
    }
    let after = after.trim_start();
    let Some(first) = after.chars().next() else {
        return true;
    };
    if joins_a_list(first) || ends_a_list(first) {
        return true;
    }
    let len = after
        .char_indices()
        .find(|&(_, c)| !c.is_alphanumeric())
        .map_or(after.len(), |(at, _)| at);
    let word = &after[..len.min(ITEM_WORD_BYTES_MAX * 2)];
    if LIST_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)) {
        return true;
    }
    if word.chars().any(super::normalize::is_cjk) {
        return CJK_FITTED_GOODS.iter().any(|g| word.starts_with(g));
    }
    FITTED_GOODS.contains(&fold_exact(word).as_str())
}

/// CJK words for the goods a list's names fit, which may follow its last
/// name (`适用于奥凡塔X12、奥凡塔X13 手机壳`): phones, watches, straps, cases,
/// films, chargers, earphones, tablets (Chinese, Japanese, Korean).
const CJK_FITTED_GOODS: &[&str] = &[
    "手机",
    "手機",
    "手表",
    "手錶",
    "表带",
    "錶帶",
    "保护",
    "保護",
    "钢化",
    "鋼化",
    "充电",
    "充電",
    "耳机",
    "耳機",
    "平板",
    "ケース",
    "ベルト",
    "フィルム",
    "케이스",
    "스트랩",
    "필름",
];

/// Whether `after`, the exact fold after a mention (its separator space
/// taken off), says the goods fit it: a word of [`COMPATIBLE_AFTER`]
/// (`next_word`, whole when `whole_next`), or [`DEDICATED_AFTER`] right
/// away or after one model's word (ASCII letters and digits, at most 8) or
/// two CJK characters.
fn compatibility_word_after(after: &str, next_word: &str, whole_next: bool) -> bool {
    if whole_next && COMPATIBLE_AFTER.contains(&next_word) {
        return true;
    }
    let dedicated = |rest: &str| {
        DEDICATED.iter().any(|d| rest.starts_with(d.as_str()))
            || japanese_use_after(rest)
            || rest
                .strip_prefix(TURKISH_FOR)
                .is_some_and(|r| r.is_empty() || r.starts_with(' '))
    };
    if dedicated(after) {
        return true;
    }
    let model = after
        .bytes()
        .take(9)
        .take_while(u8::is_ascii_alphanumeric)
        .count();
    if (1..=8).contains(&model) {
        let rest = &after[model..];
        return dedicated(rest.strip_prefix(' ').unwrap_or(rest));
    }
    let mut chars = after.char_indices();
    let two_cjk = chars
        .next()
        .is_some_and(|(_, c)| super::normalize::is_cjk(c))
        && chars
            .next()
            .is_some_and(|(_, c)| super::normalize::is_cjk(c));
    two_cjk && chars.next().is_some_and(|(at, _)| dedicated(&after[at..]))
}

/// Words that, right before `for`, name a maker of the goods for the brand
/// (`OEM factory for Aurelle`, `supplier for Aurelle`): a claim of a
/// copy's supply chain, not an accessory's fit. Not `made` (`strap made
/// for Aurelle watches` is an accessory's). Exact-folded.
const MAKERS: &[&str] = &["factory", "manufacturer", "oem", "supplier"];

/// Whether `before`, the exact fold before a name, ends with a word of
/// [`MAKERS`] and `for` (a determiner may follow: `OEM for the
/// Aurelle`).
fn made_for(before: &str) -> bool {
    let before = match last_word(before) {
        Some((rest, word)) if DETERMINERS.contains(&word) || ALL_DETERMINERS.contains(&word) => {
            rest
        }
        _ => before,
    };
    before
        .strip_suffix(" for")
        .and_then(|rest| rest.rsplit(' ').next())
        .is_some_and(|word| MAKERS.contains(&word))
}

/// Whether a compatibility phrase ends right before folded byte `at` of the
/// exact fold (one separator space may sit between), or a Latin one before
/// one of [`DETERMINERS`] there, or a CJK one before one of
/// [`CJK_DETERMINERS`], either with a model's size or age between (`for
/// 38mm`, `for your vintage`); not `for` after a word of [`MAKERS`].
pub(crate) fn compatibility_phrase_before(exact: &FoldedText, at: usize) -> bool {
    phrase_before(exact, at, true, Phrases::Folded)
}

/// [`compatibility_phrase_before`] for `phrases`; a model's size or age
/// read only when `model` (one, not a run of them).
fn phrase_before(exact: &FoldedText, at: usize, model: bool, phrases: Phrases<'_>) -> bool {
    let text = exact.as_str();
    let Some(before) = text.get(..at) else {
        return false;
    };
    let before = before.strip_suffix(' ').unwrap_or(before);
    if made_for(before) {
        return false;
    }
    if phrases.end(exact, before, false, false) {
        return true;
    }
    if let Phrases::Folded = phrases
        && let Some(rest) = CJK_DETERMINERS.iter().find_map(|d| before.strip_suffix(d))
    {
        let rest = rest.strip_suffix(' ').unwrap_or(rest);
        if COMPAT
            .iter()
            .any(|(phrase, latin)| !*latin && rest.ends_with(phrase.as_str()))
        {
            return true;
        }
    }
    let latin_phrase_ends = |rest: &str, all: bool| phrases.end(exact, rest, true, all);
    // The goods' noun between the phrase (or a determiner) and the name
    // (`pour montre Aurelle`, `para el reloj Aurelle`), one or two words.
    if model {
        let mut rest = before;
        for _ in 0..FITTED_GOODS_MAX {
            let Some((r, word)) = last_word_of(rest, FITTED_GOODS_WORD_MAX) else {
                break;
            };
            if !FITTED_GOODS.contains(&word) {
                break;
            }
            if phrase_before(exact, r.len() + 1, false, phrases) {
                return true;
            }
            rest = r;
        }
    }
    // A model's size or age right before the name (`for 38mm Aurelle`,
    // `for your vintage Aurelle`), the phrase or a determiner before it.
    if model
        && let Some((rest, word)) = last_word(before)
        && (is_size(word) || MODEL_AGE.contains(&word))
    {
        return phrase_before(exact, rest.len() + 1, false, phrases);
    }
    // A word of newness right before the name, after a determiner (`for
    // the new Orvanta`, `for your latest Orvanta`; not right after the
    // phrase: `trade in your phone for new Orvanta X12` sells the phone).
    let before = match last_word(before) {
        Some((rest, word)) if NEWNESS.contains(&word) => rest,
        _ => before,
    };
    // The last word before, if a determiner, and what comes before it.
    let Some((rest, word)) = last_word(before) else {
        return false;
    };
    let all = ALL_DETERMINERS.contains(&word);
    (all || DETERMINERS.contains(&word)) && latin_phrase_ends(rest, all)
}

/// The last word of `before` (a prefix of an exact fold), if it is no
/// longer than [`DETERMINER_MAX`] bytes, and what comes before it (without
/// the space between).
fn last_word(before: &str) -> Option<(&str, &str)> {
    last_word_of(before, DETERMINER_MAX)
}

/// The last word of `before` (a prefix of an exact fold), if it is no
/// longer than `max` bytes, and what comes before it (without the space
/// between).
fn last_word_of(before: &str, max: usize) -> Option<(&str, &str)> {
    let tail = before.len().saturating_sub(max + 1);
    let space = tail + before.as_bytes()[tail..].iter().rposition(|&b| b == b' ')?;
    Some((&before[..space], &before[space + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        signal_terms(text, &[])
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn latin_terms_match_whole_words_in_any_case() {
        assert_eq!(
            found("REPLICA bag, 1:1 Mirror  Quality"),
            ["REPLICA", "1:1", "Mirror  Quality"]
        );
        assert_eq!(found("Super-Copy watch AAA+ grade"), ["Super-Copy", "AAA"]);
        assert_eq!(found("a dupe! inspired by"), ["dupe"]);
        assert_eq!(
            found_with("a dupe! inspired by Vellano", &["Vellano"]),
            ["dupe", "inspired by"]
        );
        assert!(found("replicant fakery aaaaaa duped").is_empty());
        assert_eq!(
            found("AAAA quality, 7A Quality, 10a grade, Superfake"),
            ["AAAA", "7A Quality", "10a grade", "Superfake"]
        );
        // A grade alone is a current; four As before a battery word a size,
        // and among pearls their grade; a grade is read as written only.
        assert!(found("7A fuse, 10A charger, 2 AAAA batteries, AAAA cell").is_empty());
        assert!(found("Akoya pearls AAAA, 5A quality cubic zirconia").is_empty());
        assert!(found("Geneve SA grade steel, TA quality").is_empty());
        assert_eq!(
            found("3A Quality watch, 4A grade bag, 5A Quality Ladies Watch"),
            ["3A Quality", "4A grade", "5A Quality"]
        );
        assert!(found("5A Quality CZ Stud Earrings, 5A grade 锆石").is_empty());
        assert!(found("3A charger, 5A fuse").is_empty());
    }

    /// A term of several words stands in one clause: words of two
    /// (`mirror, quality leather`) are no term.
    #[test]
    fn a_term_of_several_words_stands_in_one_clause() {
        for two in [
            "Compact mirror, quality leather case",
            "Travel box with mirror. Quality leather",
            "Box includes a mirror.\nQuality: excellent.",
            "Box includes a mirror\nQuality: excellent.",
            "Share it: super, copy the link below",
            "Made in Italy; super; copy of the manual included",
            "化妆镜，quality leather, mirror，quality",
            "Super﹐copy the link",
        ] {
            assert!(found(two).is_empty(), "{two}: {:?}", found(two));
        }
        for one in [
            "mirror quality watch",
            "Mirror-Quality watch",
            "super.copy watch",
            "super  copy watch",
            "super_copy",
            "Super Copy!",
        ] {
            assert_eq!(found(one).len(), 1, "{one}: {:?}", found(one));
        }
    }

    #[test]
    fn one_to_one_among_other_ratios_is_an_aspect_ratio() {
        for modes in [
            "50MP Camera with 4:3 / 1:1 / 16:9 Photo Modes",
            "crop 1:1, 3:2 and 16:9",
            "16:9|1:1 screen",
            "画幅 4：3、1：1",
        ] {
            assert!(found(modes).is_empty(), "{modes}");
        }
        for copy in [
            "1:1 replica 16GB",
            "Replica 1:1 / AAA",
            "1:1 1:1 mirror",
            "1:1 01:01",
            "1:1 x16:9",
            "4:3 photos, 1:1 copy of the original",
            "4:3 1:1 copy",
            "Aurelle 1:1 2:1 mirror",
            "1:1 9:9",
            "Watch 1:1 10:10",
            "12:34:56 1:1",
            "1:1 4:3:2",
            "16:9 1:1 copies",
            "4:3 1:1 AAAA",
            "4:3 1:1, copy",
        ] {
            assert!(found(copy).contains(&"1:1"), "{copy}: {:?}", found(copy));
        }
    }

    #[test]
    fn overlapping_terms_merge_into_spans_of_bounded_length() {
        assert_eq!(found("A A A A"), ["A A A A"]);
        let run = "a ".repeat(5_000);
        let spans = signal_terms(&run, &[]);
        assert!(spans.len() > 1, "{}", spans.len());
        assert!(
            spans.iter().all(|s| s.len() <= MERGED_SPAN_MAX),
            "{spans:?}"
        );
        // Spans still cover the whole run, in order, each overlapping the
        // one before.
        assert_eq!(spans[0].start, 0);
        assert_eq!(spans.last().map(|s| s.end), Some(run.trim_end().len()));
        assert!(
            spans
                .windows(2)
                .all(|w| w[0].start < w[1].start && w[1].start < w[0].end)
        );
    }

    #[test]
    fn punctuation_of_a_term_must_be_in_the_text() {
        assert_eq!(found("1:1 copy, 1：1 grade"), ["1:1", "1：1"]);
        assert!(found("USB 1.1 cable, size 1 1/2, 1,1 kg, 1-1").is_empty());
        assert_eq!(found("knock-off, knock off 20%"), ["knock-off"]);
    }

    #[test]
    fn a_term_after_anti_is_not_a_signal() {
        assert!(found("anti-counterfeit hologram, Anti Fake code").is_empty());
        assert_eq!(found("antique replica, pro-fake"), ["replica", "fake"]);
    }

    #[test]
    fn a_term_made_proof_against_is_not_a_signal() {
        // What the goods resist, joined by a hyphen, for any term.
        assert!(found("dupe-proof serial, copy-proof hologram, replica-resistant seal").is_empty());
        // With a space, `proof` is a coin's finish.
        assert_eq!(found("replica proof coin"), ["replica"]);
        assert_eq!(found("dupe-proofing kit"), ["dupe"]);
    }

    #[test]
    fn battery_sizes_and_imitation_materials_are_not_signals() {
        assert!(found("AAA batteries, AAA battery, 2 AAA cells").is_empty());
        assert!(found("imitation pearls necklace, Imitation Leather strap").is_empty());
        assert_eq!(found("AAA quality, AAA batteryless"), ["AAA", "AAA"]);
        assert_eq!(
            found("imitation watch, imitation leathers"),
            ["imitation", "imitation"]
        );
    }

    #[test]
    fn battery_counts_games_and_fake_products_are_not_signals() {
        assert!(found("requires 2 AAA (not included), 3 x AAA, AAA alkaline").is_empty());
        assert!(found("AAA games console, AAA rechargeable").is_empty());
        assert!(found("fake tan, Fake Nails, fake leather strap, fake fur").is_empty());
        assert!(found("高仿真绿植 仿真花").is_empty());
        assert_eq!(found("fake watch, AAA quality"), ["fake", "AAA"]);
        assert_eq!(found("高仿手表"), ["高仿"]);
    }

    #[test]
    fn more_battery_finish_and_chinese_word_senses_are_not_signals() {
        assert!(
            found("Battery Type: AAA (not included), piles AAA, AAA-Batterien, 1x AAA").is_empty()
        );
        assert!(found("Mirror-Grade Polished Steel Nib, mirror grade finish").is_empty());
        assert!(found("fake eyelash glue, LED fake flame bulb").is_empty());
        assert!(found("鱼尾单肩晚礼服 原单价 原单号 缅甸玉A货").is_empty());
        assert_eq!(
            found("Case for X5, AAA quality"),
            ["AAA"],
            "a count is a whole number"
        );
        assert_eq!(
            found("Top AAAAA Quality, Superclone, mirror grade"),
            ["AAAAA", "Superclone", "mirror grade"]
        );
        assert_eq!(found("尾单 原单 外贸"), ["尾单", "原单"]);
    }

    #[test]
    fn other_languages_name_batteries_warranties_ratios_and_meetings() {
        for text in [
            "Requiere 2 pilas AAA (no incluidas), usa 2 pilhas AAA, 2 batterie AAA",
            "2 adet AAA pil ile çalışır, 2 baterai AAA",
            "Работает от 2 батареек AAA, يعمل ببطاريتين AAA",
            "AAA 건전지 2개, 単4形乾電池（AAA）2本, ใช้ถ่าน AAA 2 ก้อน",
            "reemplazo 1:1, 1:1 Austausch, Sostituzione 1:1, troca 1:1, 1:1 Ersatz",
            "remplacement 1:1, replacement 1:1 within 30 days",
            "proporción 1:1, Mischverhältnis 1:1, Rapporto di miscelazione 1:1",
            "按1:1比例打印, 一比一稀释, 1:1 문의 게시판, 1:1 상담, asesoría 1:1",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
        assert!(found("Bra, Sizes AAA–B, Cup sizes AAA, AA, A; AAA cup").is_empty());
        assert!(found("Ne soyez pas dupe des contrefaçons, il ne faut pas être dupe").is_empty());
        assert_eq!(found("Size AAA quality, a dupe bag"), ["AAA", "dupe"]);
        // A grade word after `1:1` decides.
        assert_eq!(found("replacement 1:1 copy"), ["1:1"]);
    }

    #[test]
    fn another_sense_needs_its_word_in_the_same_phrase() {
        for (text, signals) in [
            // A sentence's or a line's end between the word and the term.
            ("Free consultation. 1:1 copy", &["1:1"][..]),
            ("有意者欢迎咨询\n1:1原版开模", &["1:1"]),
            ("가격 문의\n1:1 정품급", &["1:1"]),
            ("Consulta. 1:1 calidad", &["1:1"]),
            ("Grade 1:1 watch\nFree consultation", &["1:1"]),
            ("Grade 1:1 watch\tfree consultation", &["1:1"]),
            ("1:1 top grade consultation", &["1:1"]),
            ("1:1 original watch session", &["1:1"]),
            // A ratio's second number counts no batteries.
            ("1:1 AAA consultation", &["AAA"]),
            ("replacement 1:1 AAA", &["AAA"]),
            // Copy-speak: a mould's proportion, a pin's grade.
            ("正品1:1比例开模", &["1:1"]),
            ("Aurelle enamel pin AAA", &["AAA"]),
            // A unit after a number.
            ("KW super quality", &["KW super"]),
            (
                "finition qualité miroir, qualité miroir",
                &["qualité miroir"],
            ),
        ] {
            assert_eq!(found(text), signals, "{text}");
        }
        for text in [
            "Mixing ratio: 1:1, 按1:1比例打印",
            "Coachlight 2 kW Super Silent heater, 1.5 kW super quiet, 2kW Super",
            "finition polie qualité miroir, qualité miroir polie",
            "consultation 1:1, 1:1 상담",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }

    #[test]
    fn terms_in_other_languages_are_signals() {
        assert_eq!(
            found("реплика люкс, 레플리카, Hochwertige Replik, スーパーコピー N級品です"),
            ["реплика", "레플리카", "Replik", "スーパーコピー", "N級品"]
        );
        assert_eq!(
            found("qualité miroir, 미러급, ماستر كوبي, KW super, 짝퉁 SA급"),
            ["qualité miroir", "미러급", "ماستر كوبي", "KW super", "짝퉁"]
        );
        assert_eq!(
            found("репликой, スーパー コピー, الماستر كوبي"),
            ["репликой", "スーパー コピー", "الماستر كوبي"]
        );
        // Whole words only, as the other Latin and Cyrillic terms.
        assert!(found("репликация данных, Replikat, kw superior").is_empty());
    }

    #[test]
    fn copies_and_imitations_in_other_languages_are_signals() {
        assert_eq!(
            found("Стиль Aurelle, люкс копия, ТОЧНАЯ КОПИЯ оригинала, копию люкс"),
            ["люкс копия", "ТОЧНАЯ КОПИЯ", "копию люкс"]
        );
        assert_eq!(
            found("แบบ Aurelle งานก๊อปเกรดมิเรอร์, งานก็อป"),
            ["งานก๊อป", "เกรดมิเรอร์", "งานก็อป"]
        );
        assert_eq!(
            found("imitazione perfetta, imitación exacta, imitação perfeita"),
            ["imitazione", "imitación", "imitação"]
        );
        assert_eq!(
            found("является точной копией оригинала, люкс копии, копии класса люкс"),
            ["точной копией", "люкс копии", "копии класса люкс"]
        );
        assert_eq!(found("งานก๊อบเกรดเอ, งานก๊อปปี้แบรนด์เนม"), ["งานก๊อบ", "งานก๊อป"]);
        // Whole words, as the other Latin and Cyrillic terms; the plural
        // warns against copies, as English `imitations` does.
        assert!(
            found(
                "imitazionesco, неточная копия, diffidate dalle imitazioni, cuidado com imitações"
            )
            .is_empty()
        );
    }

    #[test]
    fn copies_and_imitations_in_other_languages_have_other_senses() {
        for text in [
            // A receipt's or a document's copy: `копия` alone is no term.
            "Есть копия чека, копия документов",
            // Photocopying documents, copy-and-paste work.
            "รับงานก๊อปปี้เอกสาร, รับงานก๊อปวาง",
            // A copy of a document, a key, a scale model.
            "точная копия документа, точная копия ключа, точная копия в масштабе 1:43",
            // Materials, in Italian, Spanish, Portuguese and French.
            "Borsa in imitazione pelle, imitazione coccodrillo, perle d'imitazione",
            "perle imitazione, collana di perle di imitazione",
            "collar de perlas de imitación, bolso imitación piel, perlas imitación",
            "bolsa de couro de imitação, imitação couro, imitação de couro, imitación de piel",
            "imitazione pietra, imitación oro, imitação de madeira",
            "sac imitation cuir, imitation fourrure",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
        // A copy's grade after the material's word is still a copy's:
        // nothing else is a material.
        assert_eq!(found("imitazione perfetta pelle"), ["imitazione"]);
    }

    #[test]
    fn terms_are_found_through_obfuscation_too() {
        assert_eq!(
            found("R3plica, R.E.P.L.I.C.A, Rерliса, F4ke"),
            ["R3plica", "R.E.P.L.I.C.A", "Rерliса", "F4ke"]
        );
        assert_eq!(found("高.仿 包包, 高 仿 手表"), ["高.仿", "高 仿"]);
        // The same rules at both levels: other senses, anti, punctuation.
        assert!(found("AAA batteries, imitation pearls, 4nti-f4ke, USB 1.1, 1 1/2").is_empty());
        // Where the exact fold shows a term, its reading of the words around
        // decides: a leet symbol between words is punctuation there.
        assert!(found("AAA+Battery, Fake+Fur Hood, Fake|Eyelash Glue").is_empty());
        assert_eq!(found("AAA+Quality"), ["AAA"]);
    }

    #[test]
    fn terms_seen_beyond_the_design_examples_are_signals() {
        assert_eq!(
            found("Super Clone 3235, first copy, 1to1, mirror grade"),
            ["Super Clone", "first copy", "1to1", "mirror grade"]
        );
        assert_eq!(found("一比一 真皮 尾单 超A"), ["一比一", "尾单", "超A"]);
        // Plurals, as `replicas`, `fakes` and `dupes`, and Japanese `copy
        // goods`.
        assert_eq!(
            found("cheap knockoffs, knock-offs"),
            ["knockoffs", "knock-offs"]
        );
        assert_eq!(found("腕時計 コピー品 激安"), ["コピー品"]);
    }

    #[test]
    fn rep_one_to_one_in_words_and_korean_imitation_are_signal_terms() {
        assert_eq!(found("Aurelle rep watch 1 to 1 quality"), ["rep", "1 to 1"]);
        assert_eq!(found("REP watches, 1 To 1"), ["REP", "1 To 1"]);
        assert_eq!(found("Aurelle 이미테이션 시계"), ["이미테이션"]);
        // Whole words; a representative, a fabric, a repetition; `1 to 1`
        // in the senses of `1:1`; a material.
        assert!(found("reptile repair prep reps").is_empty());
        assert!(found("ask your sales rep, customer service rep").is_empty());
        assert!(found("silk rep tie, rep range 8-12").is_empty());
        assert!(found("1 to 1 coaching, mix 1 to 1 ratio, ages 1 to 10").is_empty());
        assert!(found("이미테이션 진주 귀걸이").is_empty());
    }

    #[test]
    fn batteries_written_as_specs_games_and_gemstones_are_not_signals() {
        for text in [
            "Batteries: AAA x 2 (not included)",
            "needs 2pcs AAA",
            "2 pcs AAA",
            "power: 2 x 1.5V AAA",
            "AAA 1.5V, AAA x2, AAA size",
            "works with AAA/AA rechargeables, AAA Ni-MH",
            "requires AAA, runs on AAA",
            "需2节AAA电池",
            "play AAA titles, AAA gaming on the go",
            "Pendant with AAA Tanzanite",
            "Ethiopian Opal grade AAA",
            "Opal AAA ring",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
        // A grade word or a count's sense decides, not a word after it.
        for text in [
            "2 AAA Original Batteries included",
            "2 x AAA quality alkaline batteries",
            "2 AAA Grade A batteries",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
        // Not a battery's: a model, a year, `x` before a word; not a gem's:
        // a watch's glass, a colour; not a count: 节 of a festival.
        for text in [
            "Oyster 116500 AAA watch",
            "Aurelle 2024 AAA",
            "AAA x Aurelle watch",
            "watch AAA Sapphire crystal",
            "AAA Emerald Green Dial",
            "情人节AAA手表",
        ] {
            assert_eq!(found(text), ["AAA"], "{text}");
        }
        assert_eq!(found("高仿生产厂家"), ["高仿"]);
        // A copy's grade after the term decides; a plain number after it is
        // no count, nor a model before it.
        assert_eq!(found("Top 1 AAA Quality"), ["AAA"]);
        assert_eq!(found("2 AAA replica"), ["AAA", "replica"]);
        assert_eq!(found("Watch AAA 2024"), ["AAA"]);
        assert_eq!(found("Phone X5 AAA"), ["AAA"]);
        assert_eq!(found("AAA diamond ring"), ["AAA"]);
        // Vietnamese batteries after a count, not an English pin.
        assert!(found("Dùng 2 pin AAA (không kèm theo)").is_empty());
        assert_eq!(found("lapel pin AAA"), ["AAA"]);
        assert_eq!(found("2 pin AAA replica"), ["AAA", "replica"]);
        // A bag for travel, not a travel team; a tier or a team of copies.
        assert_eq!(found("AAA travel bag"), ["AAA"]);
        assert_eq!(found("watch top tier AAA"), ["AAA"]);
        assert_eq!(found("AAA team jersey, youth AAA"), ["AAA", "AAA"]);
        assert_eq!(found("AAA Quality hockey jersey"), ["AAA"]);
    }

    #[test]
    fn materials_styles_ratios_and_guards_are_not_signals() {
        for text in [
            "Fake Two-Piece Hoodie, fake fire effect, fake wick, fake zip, fake suede lining",
            "fake tanning mousse, fake-lash look",
            "imitation crocodile grain leather, imitation snakeskin trim",
            "mix 1:1 with developer, mixing ratio 1:1, dilute 1:1 with water",
            "1:1 magnification, 12 months 1:1 warranty, 1:1 cutouts, 1:1 fit",
            "stick for AAA travel teams, AAA hockey, Bantam AAA, AAA baseball",
            "一比一开孔 全包",
            "NFC chip for counterfeit protection, counterfeit detector pen",
            "高仿生硅胶耳塞套, 退货请附原单",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
        assert_eq!(found("fake watch, imitation gold"), ["fake", "imitation"]);
        assert_eq!(found("1:1 with the original"), ["1:1"]);
        assert_eq!(found("counterfeit bag, 原单 包"), ["counterfeit", "原单"]);
    }

    #[test]
    fn one_to_one_warranties_and_ratios_are_not_signals() {
        assert!(found("1:1 Replacement Warranty, 1:1 exchange, epoxy 1:1 ratio").is_empty());
        assert_eq!(found("男表 1∶1 蓝宝石, 1：1"), ["1∶1", "1：1"]);
        assert_eq!(
            found("1:1 replica, 1:1 mirror quality"),
            ["1:1", "replica", "1:1", "mirror quality"]
        );
    }

    #[test]
    fn a_货_beside_jadeite_or_after_natural_is_a_grade() {
        assert!(found("天然A货翡翠手镯, 翡翠 A货 吊坠, ａ货翡翠").is_empty());
        assert_eq!(found("卡地亚A货手表"), ["A货"]);
        assert_eq!(found("A货 手镯 翡翠色"), ["A货"], "翡翠 not right after");
        assert_eq!(found("天然 高仿"), ["高仿"], "only A货 is a grade");
    }

    /// The spans of `names` in `text` (each its first occurrence).
    fn spans_of(text: &str, names: &[&str]) -> Vec<Range<usize>> {
        let mut spans: Vec<Range<usize>> = names
            .iter()
            .map(|n| {
                let at = text.find(n).expect("name in text");
                at..at + n.len()
            })
            .collect();
        spans.sort_by_key(|r| r.start);
        spans
    }

    #[test]
    fn a_name_is_no_word_between_one_to_one_and_a_meeting() {
        assert_eq!(found_with("1:1 Aurelle lesson", &["Aurelle"]), ["1:1"]);
        assert_eq!(found_with("1:1 Lumo earbuds tutoring", &["Lumo"]), ["1:1"]);
        assert_eq!(found_with("1:1 pro Aurelle session", &["Aurelle"]), ["1:1"]);
        assert!(found_with("1:1 skin lesson, Aurelle", &["Aurelle"]).is_empty());
    }

    fn found_with(text: &'static str, names: &[&str]) -> Vec<&'static str> {
        signal_terms(text, &spans_of(text, names))
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn inspired_by_counts_only_before_a_name() {
        assert!(
            found_with("Aurelle dial inspired by the Alpine glaciers", &["Aurelle"]).is_empty()
        );
        assert_eq!(
            found_with("Perfume inspired by Vellano No 5", &["Vellano"]),
            ["inspired by"]
        );
        assert_eq!(
            found_with("INSPIRED BY the iconic Vellano Love ring", &["Vellano"]),
            ["INSPIRED BY"]
        );
        assert_eq!(
            found_with("1nspired by: Vellano", &["Vellano"]),
            ["1nspired by"],
            "through obfuscation too"
        );
        assert!(
            found_with("inspired by a trip to the old Vellano mill", &["Vellano"]).is_empty(),
            "four words between"
        );
        assert!(
            found_with("Vellano ring inspired by nature", &["Vellano"]).is_empty(),
            "a name before is not introduced"
        );
        assert!(found("inspired by Vellano").is_empty(), "no name found");
        assert_eq!(
            found_with("replica inspired by the sea, Vellano", &["Vellano"]),
            ["replica", "inspired by"],
            "three words between; other terms count as ever"
        );
    }

    #[test]
    fn a_gift_for_her_is_no_compatibility() {
        let exact = |text: &str| {
            let mut f = FoldedText::new();
            f.fold(text, Level::Exact);
            f
        };
        for (text, name_at, weak) in [
            ("strap for your aurelle", 15, true),
            ("fits most aurelle", 10, true),
            ("gift for her aurelle", 13, false),
            ("gift for all aurelle", 13, false),
            ("strap for any aurelle", 14, true),
            ("fits all aurelle", 9, true),
            ("compatible with every aurelle", 22, true),
            ("gift for every aurelle", 15, false),
            ("case for this aurelle", 14, true),
            ("适用于所有奥凡塔", 15, true),
            ("适用于 所有 奥凡塔", 17, true),
            ("適用於奧凡塔", 9, true),
            ("适用於各種奧凡塔", 15, true),
            ("送所有奥凡塔", 9, false),
            ("charger for the new orvanta", 20, true),
            ("charger for latest orvanta", 19, false),
            ("case for your newest orvanta", 21, true),
            ("trade in for new orvanta", 17, false),
            ("gift for her new orvanta", 17, false),
            ("brand new orvanta", 10, false),
            ("the new orvanta", 8, false),
        ] {
            assert_eq!(
                compatibility_phrase_before(&exact(text), name_at),
                weak,
                "{text}"
            );
        }
    }

    #[test]
    fn japanese_dedicated_after_a_name_is_nominative_use() {
        // `専用`, the Japanese kanji form of `专用` (for use with).
        let weak = nominative_at;
        assert!(weak("Orvanta X12専用 手帳型ケース", "orvanta"));
        assert!(weak("Aurelle専用 レザーベルト 20mm", "aurelle"));
        assert!(!weak("Aurelle 腕時計 メンズ 専用箱付き", "aurelle"));
    }

    /// Whether the first `name` in the exact fold of `text` is in
    /// nominative use.
    fn nominative_at(text: &str, name: &str) -> bool {
        let mut exact = FoldedText::new();
        exact.fold(text, Level::Exact);
        let at = exact.as_str().find(name).expect("name");
        nominative_use(&exact, at..at + name.len())
    }

    #[test]
    fn nominative_use_is_read_before_and_after_a_name() {
        let weak = nominative_at;
        for (text, name, nominative) in [
            // After the name.
            ("Aurelle compatible leather strap 20mm", "aurelle", true),
            ("Aurelle-compatible strap", "aurelle", true),
            ("Leather strap - Aurelle compatible - 20mm", "aurelle", true),
            ("Aurelle compatibles", "aurelle", false),
            ("Aurelle watch compatible", "aurelle", false),
            ("奥瑞尔专用表带", "奥瑞尔", true),
            ("奥瑞尔手表专用表带", "奥瑞尔", true),
            ("奧瑞爾專用錶帶", "奧瑞爾", true),
            ("奥凡塔X12专用手机壳", "奥凡塔", true),
            ("奥凡塔 X12 专用手机壳", "奥凡塔", true),
            ("奥瑞尔男士手表专用", "奥瑞尔", false),
            ("奥瑞尔专柜正品", "奥瑞尔", false),
            ("奥瑞尔手表", "奥瑞尔", false),
            // Before it: the phrases as sellers write them.
            ("Leather strap to fit Aurelle Classic", "aurelle", true),
            ("Slim fit Aurelle shirt", "aurelle", false),
            ("适合奥瑞尔手表的真皮表带", "奥瑞尔", true),
            ("适配奥瑞尔 真皮表带", "奥瑞尔", true),
            ("用于奥瑞尔手表的表带", "奥瑞尔", true),
            ("适用奥凡塔X12手机壳", "奥凡塔", true),
            ("兼容奥凡塔X5的快充充电器", "奥凡塔", true),
            // A model's size or age between, one.
            ("Leather strap for vintage Aurelle", "aurelle", true),
            ("Leather strap for 38mm Aurelle", "aurelle", true),
            ("Strap for your 40mm Aurelle", "aurelle", true),
            ("Strap for 4cm Aurelle", "aurelle", true),
            ("Strap for 38mm vintage Aurelle", "aurelle", false),
            ("Vintage Aurelle watch", "aurelle", false),
            ("38mm Aurelle automatic", "aurelle", false),
            // A buyer who likes the brand, not goods that fit it.
            ("Men's automatic watch for Aurelle fans", "aurelle", false),
            ("Luxury watch for Aurelle lovers", "aurelle", false),
            ("Watch fits Aurelle style", "aurelle", false),
            ("Strap for Aurelle fansite owners", "aurelle", true),
            ("Watch box for Aurelle collectors", "aurelle", true),
        ] {
            assert_eq!(weak(text, name), nominative, "{text}");
        }
    }

    /// Whether the first mention of `name` (exact-folded) in `text` is
    /// nominative use.
    fn weak_at(text: &str, name: &str) -> bool {
        let mut exact = FoldedText::new();
        exact.fold(text, Level::Exact);
        let name = fold_exact(name);
        let at = exact.as_str().find(&name).expect("name");
        nominative_use(&exact, at..at + name.len())
    }

    #[test]
    fn determiners_of_other_languages_may_follow_a_phrase() {
        for (text, nominative) in [
            ("Funda para el Orvanta X12 de silicona", true),
            ("Funda para la Orvanta X12", true),
            ("Coque pour le Orvanta X12", true),
            ("Coque pour votre Orvanta X12", true),
            ("Cover per il Orvanta X12", true),
            ("Hoesje voor de Orvanta X12", true),
            ("Case for the Orvanta X12", true),
            // One only, and the phrase before it.
            ("Funda el Orvanta X12", false),
            ("Funda para el la Orvanta X12", false),
        ] {
            assert_eq!(weak_at(text, "orvanta"), nominative, "{text}");
        }
        let written = |text: &str| {
            let mut exact = FoldedText::new();
            exact.fold(text, Level::Exact);
            let at = text.find("Orvanta").expect("name");
            written_compatibility_before(text, &exact, at..at + "Orvanta".len())
        };
        for (text, nominative) in [
            ("Hülle für das Orvanta X12", true),
            ("Hülle FÜR DEN Orvanta X12", true),
            ("Ladekabel für die Orvanta Uhr", true),
            ("Armband für deine Orvanta", true),
            ("Hülle das Orvanta X12", false),
            ("Faux fur the Orvanta", false),
            ("Hülle für das Orvanta Fans", false),
            ("Hülle fürdas Orvanta", false),
        ] {
            assert_eq!(written(text), nominative, "{text}");
        }
    }

    #[test]
    fn the_goods_noun_may_stand_between_a_phrase_and_the_name() {
        for (text, nominative) in [
            ("Bracelet cuir pour montre Aurelle", true),
            ("Correa para reloj Aurelle 20mm", true),
            ("Correa para el reloj Aurelle", true),
            ("Correa para reloj inteligente Orvanta", true),
            ("Cinturino per orologio Aurelle", true),
            ("Bandje voor horloge Aurelle", true),
            // A buyer, a sale, or more than two words: strong.
            ("Sac pour femme Vellano cuir", false),
            ("Montre pour homme Aurelle", false),
            ("Montre pour montre homme Aurelle", false),
            ("For sale genuine Aurelle bag", false),
            ("For sale watch Aurelle", false),
            ("Strap for smart watch phone Aurelle", false),
            ("Montre Aurelle", false),
        ] {
            assert_eq!(weak_at_any(text), nominative, "{text}");
        }
    }

    /// [`weak_at`] for the text's brand among `aurelle`, `orvanta` and
    /// `vellano` (false if it names none).
    fn weak_at_any(text: &str) -> bool {
        let folded = fold_exact(text);
        ["aurelle", "orvanta", "vellano"]
            .iter()
            .any(|name| folded.contains(name) && weak_at(text, name))
    }

    #[test]
    fn turkish_icin_and_japanese_yo_after_a_name_are_nominative_use() {
        for (text, name, nominative) in [
            ("Orvanta X12 için kılıf şeffaf", "orvanta", true),
            ("Aurelle için kayış", "aurelle", true),
            ("AURELLE İÇİN KAYIŞ", "aurelle", true),
            ("Aurelle用ベルト", "aurelle", true),
            ("Aurelle用 レザーベルト 20mm", "aurelle", true),
            ("Orvanta X12用ケース", "orvanta", true),
            ("奥瑞尔手表用 表带", "奥瑞尔", true),
            // Inside another word: `içinde` (inside), Chinese `用户`
            // (user), `用品` (goods), `用心` (care).
            ("Aurelle içinde", "aurelle", false),
            ("Aurelle用户评价", "aurelle", false),
            ("奥瑞尔用品专卖", "奥瑞尔", false),
            ("Aurelle 用心制作", "aurelle", false),
        ] {
            assert_eq!(weak_at(text, name), nominative, "{text}");
        }
    }

    #[test]
    fn every_name_of_a_list_after_a_phrase_is_nominative_use() {
        // Whether the `nth` mention of `name` (as written) is a later name of
        // a list after a phrase.
        let listed = |text: &str, name: &str, nth: usize| {
            let mut exact = FoldedText::new();
            exact.fold(text, Level::Exact);
            let at = text.match_indices(name).nth(nth).expect("name").0;
            listed_after_phrase(text, &exact, at..at + name.len())
        };
        for (text, name, nth, nominative) in [
            (
                "Compatible models: Orvanta X12, Orvanta X13",
                "Orvanta",
                1,
                true,
            ),
            (
                "Compatible models: Orvanta X12, Orvanta X13, Orvanta X14 Pro",
                "Orvanta",
                2,
                true,
            ),
            (
                "Wireless Charger compatible with Samsung, Orvanta and Pixel phones",
                "Orvanta",
                0,
                true,
            ),
            (
                "Screen Protector for iPhone 15 & Orvanta X12",
                "Orvanta",
                0,
                true,
            ),
            ("Funda para iPhone y Orvanta X12", "Orvanta", 0, true),
            (
                "Strap fits Samsung / Aurelle / Garmin watches",
                "Aurelle",
                0,
                true,
            ),
            (
                "Cable for Samsung, Pixel 7, and Orvanta",
                "Orvanta",
                0,
                true,
            ),
            // After `for`, a list of plain words may be an occasion, a
            // buyer or a place: one name before the mention must be written
            // as a device's.
            ("Phone Case For Samsung, Orvanta X12", "Orvanta", 0, false),
            ("Gift for Christmas, Aurelle watches", "Aurelle", 0, false),
            ("For HER, Aurelle watch gold", "Aurelle", 0, false),
            ("Top pick for 2024, Aurelle watch", "Aurelle", 0, false),
            ("For Christmas 2024, Aurelle watch", "Aurelle", 0, false),
            ("For Paris, Aurelle Watch men", "Aurelle", 0, false),
            (
                "Designed for Europe and Aurelle watches",
                "Aurelle",
                0,
                false,
            ),
            ("for iPhone, Aurelle watch", "Aurelle", 0, true),
            ("Hülle für iPhone 15 und Orvanta X12", "Orvanta", 0, true),
            // `für` as a text not normalized writes it, and with an
            // article, as before a name alone.
            (
                "Hülle fu\u{308}r iPhone 15 und Orvanta X12",
                "Orvanta",
                0,
                true,
            ),
            (
                "Hülle FU\u{308}R iPhone 15, Orvanta X12",
                "Orvanta",
                0,
                true,
            ),
            (
                "Hülle für das iPhone 15 und Orvanta X12",
                "Orvanta",
                0,
                true,
            ),
            (
                "Dafu\u{308}r iPhone 15 und Orvanta X12",
                "Orvanta",
                0,
                false,
            ),
            // The phrases read as written, which say nothing but
            // compatibility: any names will do.
            (
                "Charger compatible w/ Samsung, Orvanta and Pixel phones",
                "Orvanta",
                0,
                true,
            ),
            (
                "Battery for use with iPhone 15 and Orvanta X12",
                "Orvanta",
                0,
                true,
            ),
            (
                "Battery for use with Samsung, Orvanta X12",
                "Orvanta",
                0,
                true,
            ),
            (
                "Charger compatible w/o Samsung, Orvanta X12",
                "Orvanta",
                0,
                false,
            ),
            (
                "Battery for use, with Samsung, Orvanta X12",
                "Orvanta",
                0,
                false,
            ),
            (
                "Battery for users with Samsung, Orvanta X12",
                "Orvanta",
                0,
                false,
            ),
            (
                "Case compatible w/ iPhone 15, Orvanta logo print",
                "Orvanta",
                0,
                false,
            ),
            ("适用于奥凡塔X12、奥凡塔X13 手机壳", "奥凡塔", 1, true),
            // No further than the list: a clause of its own after it, a
            // later sentence, a buyer or a sale before, no phrase at all.
            (
                "Case for Orvanta X12, Orvanta logo print",
                "Orvanta",
                1,
                false,
            ),
            (
                "Case for Orvanta X12. Orvanta X13 original housing",
                "Orvanta",
                1,
                false,
            ),
            (
                "Compatible with Orvanta X12; Orvanta genuine battery",
                "Orvanta",
                1,
                false,
            ),
            ("For Sale, Aurelle Watch", "Aurelle", 0, false),
            ("Sac pour femme, Vellano cuir", "Vellano", 0, false),
            ("Gift for her, Aurelle watch", "Aurelle", 0, false),
            ("Samsung, Orvanta and Pixel phones", "Orvanta", 0, false),
            ("Compatible with Samsung, Orvanta fans", "Orvanta", 0, false),
            (
                "Charger for Samsung and more, Orvanta X12",
                "Orvanta",
                0,
                false,
            ),
            ("Orvanta X12 case, Orvanta X13", "Orvanta", 1, false),
        ] {
            assert_eq!(listed(text, name, nth), nominative, "{text}");
        }
    }

    #[test]
    fn compatibility_in_other_languages_and_words_is_nominative_use() {
        let weak = nominative_at;
        for (text, name, nominative) in [
            // Before the name.
            ("Coque pour Orvanta X12 antichoc", "orvanta", true),
            ("Funda para Orvanta X12 silicona", "orvanta", true),
            ("Capa PARA Orvanta X12", "orvanta", true),
            ("Cover per Orvanta X12 in silicone", "orvanta", true),
            ("Hoesje voor Orvanta X12", "orvanta", true),
            ("Чехол для Orvanta X12", "orvanta", true),
            ("Chargeur compatible avec Orvanta X12", "orvanta", true),
            ("Cargador compatible con Orvanta X12", "orvanta", true),
            ("Caricatore compatibile con Orvanta X12", "orvanta", true),
            ("Carregador compatível com Orvanta X12", "orvanta", true),
            ("Ladekabel kompatibel mit Orvanta X12", "orvanta", true),
            ("Compatible models: Orvanta X12", "orvanta", true),
            ("Compatible model - Orvanta X13", "orvanta", true),
            // A list's later names are not right after the phrase.
            (
                "Compatible models: Orvanta X12, Orvanta X13",
                "orvanta x13",
                false,
            ),
            // Whole words only, as the other phrases.
            ("Downpour Vellano rain jacket", "vellano", false),
            ("Prepara Lysette crema", "lysette", false),
            ("Paraguay Orvanta X12", "orvanta", false),
            ("Super Orvanta X12", "orvanta", false),
            ("Чехолдля Orvanta X12", "orvanta", false),
            ("Compatible modelsX Orvanta", "orvanta", false),
            ("Charging cable works with Orvanta phones", "orvanta", false),
            // After it.
            ("奥凡塔X12通用 手机壳", "奥凡塔", true),
            ("奥凡塔通用充电线", "奥凡塔", true),
            ("奥凡塔X12对应 手机壳", "奥凡塔", true),
            ("Aurelle対応 交換ベルト", "aurelle", true),
            ("Orvanta X12対応 ケース", "orvanta", true),
            ("Aurelle 호환 가죽 스트랩", "aurelle", true),
            ("Orvanta X12 전용 케이스", "orvanta", true),
            ("奥瑞尔手表 即日対応", "奥瑞尔", false),
            ("Aurelle 호화 시계", "aurelle", false),
            ("奥凡塔手机 全网通用", "奥凡塔", false),
        ] {
            let name = fold_exact(name);
            assert_eq!(weak(text, &name), nominative, "{text}");
        }
    }

    #[test]
    fn german_fur_is_read_as_written() {
        let weak = |text: &str, name: &str| {
            let mut exact = FoldedText::new();
            exact.fold(text, Level::Exact);
            let at = text.find(name).expect("name");
            written_compatibility_before(text, &exact, at..at + name.len())
        };
        for (text, nominative) in [
            ("Hülle für Orvanta X12 Leder", true),
            ("HÜLLE FÜR Orvanta X12", true),
            ("Armband Für  Orvanta", true),
            ("Hülle fu\u{308}r Orvanta X12", true),
            ("HÜLLE FU\u{308}R Orvanta X12", true),
            // Any blank after it, as the fold reads any separator after
            // the other phrases.
            ("Hülle für\u{a0}Orvanta X12", true),
            ("Hülle für das\u{a0}Orvanta X12", true),
            // The English word the exact fold reads.
            ("Faux fur Orvanta bag", false),
            ("Faux FUR Orvanta bag", false),
            // Not a whole word, or before an admirer.
            ("Dafür Orvanta", false),
            ("Uhr für Orvanta Fans", false),
            ("Orvanta", false),
            ("Cafe\u{301}für Orvanta", false),
        ] {
            assert_eq!(weak(text, "Orvanta"), nominative, "{text}");
        }
    }

    /// One reading of German `für` for a name and for a list's names:
    /// `für` whole, in any case, with `ü` precomposed or as `u` and a
    /// combining diaeresis, blanks after it.
    #[test]
    fn german_fur_ends_a_text_as_a_whole_word() {
        for fur in [
            "für",
            "Hülle für",
            "HÜLLE FÜR ",
            "Hülle Für\u{a0}",
            "Hülle fu\u{308}r",
            "Hülle FU\u{308}R ",
            "Ladekabel (für",
        ] {
            assert!(ends_with_fur(fur), "{fur:?}");
        }
        for other in [
            "dafür",
            "Faux fur",
            "fu\u{308}\u{308}r",
            "2für",
            "Cafe\u{301}für",
            "für.",
            "fü",
            "",
        ] {
            assert!(!ends_with_fur(other), "{other:?}");
        }
    }

    /// The test before the fold: `w/`, `w／` or `with`, any case, near the
    /// name's start; not a `w` of another word, nor one out of reach.
    #[test]
    fn written_phrases_are_looked_for_only_after_their_last_word() {
        for near in [
            "Charger compatible w/",
            "Charger COMPATIBLE W\u{ff0f}",
            "Battery for use WITH ",
            "Battery for use with the new smart watch ",
        ] {
            assert!(written_with_near(near), "{near:?}");
        }
        for far in [
            "Black leather watch for ",
            "Battery for use ｗｉｔｈ ",
            "wit",
            "",
        ] {
            assert!(!written_with_near(far), "{far:?}");
        }
        let out_of_reach = format!("compatible w/ {}", "x".repeat(WRITTEN_PHRASE_REACH));
        assert!(!written_with_near(&out_of_reach));
        assert!(!written_at(
            &format!("Charger compatible w/ {}Orvanta X12", "pad ".repeat(40)),
            "Orvanta"
        ));
    }

    /// Whether the first mention of `name` (as written) in `text` comes
    /// after a phrase read as written ([`written_compatibility_before`]).
    fn written_at(text: &str, name: &str) -> bool {
        let mut exact = FoldedText::new();
        exact.fold(text, Level::Exact);
        let at = text.find(name).expect("name");
        written_compatibility_before(text, &exact, at..at + name.len())
    }

    #[test]
    fn compatible_w_slash_is_compatible_with() {
        for (text, nominative) in [
            (
                "65W USB-C Fast Charger compatible w/ Orvanta X12, X12 Pro",
                true,
            ),
            ("Case Compatible W/ Orvanta X12", true),
            ("Case compatible w/Orvanta X12", true),
            ("Case compatible  w/  Orvanta X12", true),
            ("Case compatible w\u{ff0f}Orvanta X12", true),
            ("Charger compatible w/ the new Orvanta X12", true),
            ("Charger compatible w/ all Orvanta phones", true),
            ("Strap compatible w/ 38mm Orvanta watch", true),
            ("Strap compatible w/ smart watch Orvanta", true),
            // `w/o` and `w/out` are without; `w` alone, a comma or a dot
            // between, or another word is no phrase.
            ("Case compatible w/o Orvanta X12 logo", false),
            ("Case compatible w/out Orvanta", false),
            ("Case compatible W/O the Orvanta", false),
            ("Case compatible w Orvanta X12", false),
            ("Case compatible, w/ Orvanta X12", false),
            ("Case compatible.w/ Orvanta X12", false),
            ("Case incompatible w/ Orvanta X12", false),
            ("Case compatiblew/ Orvanta X12", false),
            ("Watch w/ Orvanta box", false),
            ("Case compatible w-Orvanta X12", false),
            // A buyer who likes the brand.
            ("Watch compatible w/ Orvanta fans", false),
            ("Watch compatible w/ Orvanta style", false),
        ] {
            assert_eq!(written_at(text, "Orvanta"), nominative, "{text}");
        }
    }

    /// `w/o` after `compatible` is no phrase, whatever a later determiner
    /// list holds (Portuguese `o`, the): the slash's word is read as written.
    #[test]
    fn compatible_w_slash_is_not_without() {
        let phrase_at = |text: &str| {
            let mut exact = FoldedText::new();
            exact.fold(text, Level::Exact);
            let start = exact.as_str().find("compatible w").expect("phrase");
            written_as_phrase(text, &exact, start..start + "compatible w".len(), true)
        };
        assert!(phrase_at("Case compatible w/ Orvanta"));
        assert!(phrase_at("Case compatible w/orvanta"));
        assert!(phrase_at("Case compatible w/ o2 Orvanta"));
        for without in [
            "Case compatible w/o Orvanta",
            "Case compatible W/O Orvanta",
            "Case compatible w/ o Orvanta",
            "Case compatible w/out Orvanta",
            "Case compatible w/OUT, Orvanta",
            "Case compatible w/",
            "Case compatible w//Orvanta",
        ] {
            assert!(!phrase_at(without), "{without}");
        }
    }

    #[test]
    fn for_use_with_is_for_extended() {
        for (text, nominative) in [
            ("Replacement Battery 5000mAh for use with Orvanta X12", true),
            ("Charger FOR USE WITH Orvanta X12", true),
            ("Strap For Use With  Orvanta watch", true),
            ("Strap for\tuse with\u{a0}Orvanta watch", true),
            ("Battery for use with your Orvanta X12", true),
            ("Battery for use with all Orvanta phones", true),
            ("Strap for use with 38mm Orvanta", true),
            ("Lens cap for use with camera Orvanta", true),
            // A whole phrase right before the name, blanks between its
            // words and after it.
            ("Battery for users with Orvanta X12", false),
            ("Battery for use, with Orvanta watch", false),
            ("Battery for use. With Orvanta X12", false),
            ("Battery for use-with Orvanta X12", false),
            ("Battery for use with: Orvanta X12", false),
            ("Battery for use with-Orvanta X12", false),
            ("Battery for reuse with Orvanta X12", false),
            ("Battery use with Orvanta X12", false),
            ("Battery for use with her Orvanta", false),
            ("Battery for use with genuine Orvanta", false),
            // A maker's claim, a buyer who likes the brand.
            ("OEM factory for use with Orvanta X12", false),
            ("Watch for use with Orvanta fans", false),
        ] {
            assert_eq!(written_at(text, "Orvanta"), nominative, "{text}");
        }
        // Not in the exact fold's reading: that one cannot see the comma.
        assert!(!weak_at("Battery for use with Orvanta X12", "orvanta"));
    }

    #[test]
    fn the_word_after_a_name_is_read_within_its_bytes() {
        assert!(
            COMPATIBLE_AFTER
                .iter()
                .chain(ADMIRERS)
                .all(|w| w.len() < NEXT_WORD_MAX)
        );
    }

    #[test]
    fn determiner_max_is_the_longest_determiner() {
        assert_eq!(
            DETERMINERS
                .iter()
                .chain(ALL_DETERMINERS)
                .chain(NEWNESS)
                .chain(MODEL_AGE)
                .map(|d| d.len())
                .max(),
            Some(DETERMINER_MAX)
        );
    }

    #[test]
    fn inspired_counts_right_after_a_name() {
        for (text, name, term) in [
            ("Aurelle-inspired dress", "Aurelle", "inspired"),
            ("dress Aurelle inspired design", "Aurelle", "inspired"),
            ("AURELLE - INSPIRED tote", "AURELLE", "INSPIRED"),
            ("Aurelle Insp1red tote", "Aurelle", "Insp1red"),
            ("Aurelle\u{a0}inspired tote", "Aurelle", "inspired"),
            ("Aurelle–inspired tote", "Aurelle", "inspired"),
        ] {
            assert_eq!(found_with(text, &[name]), [term], "{text}");
        }
        for text in [
            "Aurelle Jardin, inspired by Provence",
            "Aurelle ring inspired design",
            "Aurelle inspired by nature",
            "Aurelle, inspired",
            "inspired Aurelle look",
        ] {
            assert!(found_with(text, &["Aurelle"]).is_empty(), "{text}");
        }
        assert!(found("Aurelle-inspired dress").is_empty(), "no name found");
    }

    #[test]
    fn knock_off_and_high_copy_as_two_words_count_right_after_a_name() {
        for (text, term) in [
            ("Aurrelle knock off automatic watch", "knock off"),
            ("Aurrelle Knock Off", "Knock Off"),
            ("Aurrelle high copy automatic watch", "high copy"),
            ("Aurrelle - HIGH COPY", "HIGH COPY"),
            ("Aurrelle kn0ck off watch", "kn0ck off"),
            ("knock off Aurrelle watch", "knock off"),
            ("High Copy Aurrelle", "High Copy"),
        ] {
            assert_eq!(found_with(text, &["Aurrelle"]), [term], "{text}");
        }
        for text in [
            // Elsewhere a discount, a verb, a copier's.
            "Aurrelle dive watch, we knock off 20% this week",
            "Aurrelle knock off 20% today",
            "Aurrelle knock off $50 this weekend",
            "Aurrelle knock off the price for members",
            "Aurrelle high copy volume printer",
            "Aurrelle, knock off early on Friday",
            "knock off 20% on Aurrelle watches",
            "knock off the price of Aurrelle watches",
            "knock off early, Aurrelle",
            "high copy volume for Aurrelle",
        ] {
            assert!(found_with(text, &["Aurrelle"]).is_empty(), "{text}");
        }
        assert!(
            found("Aurrelle knock off watch").is_empty(),
            "no name found"
        );
        // Hyphenated or joined, `knock-off` counts anywhere, as before;
        // so does `highcopy` written as one word.
        assert_eq!(found("a knock-off watch"), ["knock-off"]);
        assert_eq!(found("knockoff"), ["knockoff"]);
        assert_eq!(found("HIGHCOPY automatic watch"), ["HIGHCOPY"]);
        assert!(found("highcopy volume printer").is_empty());
    }

    #[test]
    fn knock_off_and_high_copy_introduce_a_name_right_before_it_only() {
        // As they follow one: spaces or a hyphen between, or `of` and
        // maybe an article, as a copy is named.
        for (text, term) in [
            ("knock off - Aurrelle watch", "knock off"),
            ("a knock off of Aurrelle", "knock off"),
            ("a knock off of the Aurrelle Classic", "knock off"),
            ("High copy of an Aurrelle", "High copy"),
            // A title's dividers set them apart as they do a name.
            ("High Copy | Aurrelle watch", "High Copy"),
            ("Aurrelle / knock off watch", "knock off"),
            ("Aurrelle｜high copy", "high copy"),
        ] {
            assert_eq!(found_with(text, &["Aurrelle"]), [term], "{text}");
        }
        // Not across other words, as `inspired by` reads three: there they
        // are a verb or a copier's.
        for text in [
            "knock off dust with an Aurrelle brush",
            "tap to knock off excess Aurrelle powder",
            "knock off fine Aurrelle",
            "knock off mud, Aurrelle boots",
            "high copy quality with Aurrelle toner",
            "a knock off of fine Aurrelle",
            "knock off 20% | Aurrelle",
        ] {
            assert!(found_with(text, &["Aurrelle"]).is_empty(), "{text}");
        }
        // `inspired` after a name still needs only spaces or a hyphen.
        assert!(found_with("Aurrelle | inspired design", &["Aurrelle"]).is_empty());
        // `inspired by` keeps its three words.
        assert_eq!(
            found_with("inspired by the iconic Aurrelle", &["Aurrelle"]),
            ["inspired by"]
        );
    }

    /// A text that repeats `inspired by` before one far name: each term
    /// counts the words after it only up to the limit (linear), and only
    /// the last two are within three words of the name.
    #[test]
    fn inspired_by_repeated_before_a_far_name_counts_near_it_only() {
        let text = format!("{}Vellano", "inspired by ".repeat(2000));
        let at = text.len() - "Vellano".len();
        let name = std::ops::Range {
            start: at,
            end: text.len(),
        };
        let found = signal_terms(&text, std::slice::from_ref(&name));
        assert_eq!(found.len(), 2, "{:?}", found);
        assert_eq!(found[1].end, at - 1);
    }

    #[test]
    fn pearl_and_jadeite_grades_anywhere_in_the_text_are_not_signals() {
        assert!(found("Akoya Pearl Stud Earrings, AAA grade, 18k gold").is_empty());
        assert!(found("AAA 珍珠项链").is_empty());
        assert!(found("Freshwater pearls strand, AAA").is_empty());
        for not_pearls in [
            "AAA watch, mother-of-pearl dial",
            "Pearl White phone case AAA",
            "AAA 珍珠白 手机壳",
            "AAA 珍珠贝母 表盘",
        ] {
            assert_eq!(found(not_pearls), ["AAA"], "{not_pearls}");
        }
        assert!(found("翠雅坊 翡翠手镯 A货 冰糯种 附国检证书").is_empty());
        assert_eq!(
            found("AAA quality pearlescent watch"),
            ["AAA"],
            "whole words"
        );
        assert_eq!(
            found("A货 手镯 翡翠色"),
            ["A货"],
            "the colour is not jadeite"
        );
        assert_eq!(
            found("Akoya pearl earrings, AAA replica"),
            ["replica"],
            "another term still counts"
        );
        assert_eq!(found("卡地亚A货手表 翡翠绿表盘"), ["A货"]);
    }

    #[test]
    fn pearls_and_jadeite_as_a_part_a_look_or_a_gift_leave_the_grade_a_signal() {
        for (text, signals) in [
            (
                "AAA Quality Ladies Watch, Tahitian Pearl Dial",
                &["AAA"][..],
            ),
            ("Ladies Watch AAA, pearls-style dial", &["AAA"]),
            ("A货 男士手表 送翡翠手串", &["A货"]),
            ("A货 手表 赠 翡翠", &["A货"]),
            ("A货 手表 翡翠表盘", &["A货"]),
            // The goods: a part word elsewhere, or not whole.
            ("Tahitian Pearl Drop Earrings, AAA", &[]),
            ("AAA Akoya pearls strand in a gift box", &[]),
            ("Akoya pearls gift box, AAA", &[]),
            ("AAA Tanzanite white gold ring", &[]),
            ("AAA opal inlay pendant", &[]),
            ("AAA, opal-look bracelet", &["AAA"]),
            ("Akoya pearls dialogue AAA", &[]),
            ("Tahitian pearls, AAA, dial-shaped clasp", &[]),
            ("翡翠手镯 A货 冰糯种 送礼盒", &[]),
            ("翡翠白菜摆件 A货", &[]),
            ("5A Quality 925 Silver Ring with CZ Accents", &[]),
            ("AAA quality. These Akoya pearls look lovely", &[]),
        ] {
            assert_eq!(found(text), signals, "{text}");
        }
    }

    #[test]
    fn terms_split_by_a_hyphen_or_a_dot_inside_a_word_are_found() {
        for (text, signals) in [
            ("Aurelle Re-plica watch", &["Re-plica"][..]),
            ("rep.lica bag, du.pe", &["rep.lica", "du.pe"]),
            ("fa-ke Lumo earbuds", &["fa-ke"]),
            ("Super Co-py", &["Super Co-py"]),
            ("R-e-p-lica", &["R-e-p-lica"]),
            ("Ré-plique, ré-plica", &["Ré-plique", "ré-plica"]),
            ("re\u{2011}plica, Co\u{2010}py super", &["re\u{2011}plica"]),
            (
                "fa\u{2013}ke, rep\u{FF0D}lica, du\u{B7}pe",
                &["fa\u{2013}ke", "rep\u{FF0D}lica", "du\u{B7}pe"],
            ),
            ("Re\u{301}-plique", &["Re\u{301}-plique"]),
            (
                "Super Co\u{2011}py, fa\u{2011}ke fur",
                &["Super Co\u{2011}py"],
            ),
            // No term; a term inside a piece; another sense; not whole.
            ("T-shirt, Wi-Fi, 3.5mm, co-op", &[]),
            ("Re-copy paper", &[]),
            ("fa-ke fur collar", &[]),
            ("du.pester", &[]),
        ] {
            assert_eq!(found(text), signals, "{text}");
        }
    }

    #[test]
    fn round_nine_senses_and_spellings() {
        for (text, signals) in [
            (
                "Vellanno 髙仿 女包, 複刻 手錶, 原單 尾單",
                &["髙仿", "複刻", "原單", "尾單"][..],
            ),
            ("退貨請附原單, 原單價 99, 魚尾單肩", &[]),
            (
                "Triple A quality bag, triple-A grade",
                &["Triple A quality", "triple-A grade"],
            ),
            ("knock‑off bag", &["knock‑off"]),
            ("Width AAA, AAA narrow", &[]),
            ("mirror-quality polished cap, fake-proof hologram", &[]),
            (
                "à mélanger 1:1, free 1:1 consultation, 1:1 coaching session",
                &[],
            ),
            ("Width AAA replica", &["AAA", "replica"]),
            (
                "Mirror Quality Stainless Steel Submariner",
                &["Mirror Quality"],
            ),
            ("USB-C Cable 3A, Quality Braided", &[]),
            ("AA-AAA Battery Charger, AAA-AA", &[]),
            // A word between `1:1` and the meeting, or the meeting first.
            (
                "free 1:1 online consultation, 1:1 skin consultation, consultation 1:1",
                &[],
            ),
            (
                "1:1 Zoom tutoring, 1:1 appointment, 1:1開孔, 一比一開孔",
                &[],
            ),
            ("1:1 online replica", &["1:1", "replica"]),
            (
                "1:1 Virtual Skin Consultation, 1:1 personal styling session",
                &[],
            ),
            ("1:1 watch, free consultation", &["1:1"]),
            ("1:1 bag - consultation", &["1:1"]),
            (
                "1:1 mirror quality consultation",
                &["1:1", "mirror quality"],
            ),
            ("1:1 replica session", &["1:1", "replica"]),
            (
                "first class 1:1 watch, 1:1 world class watch",
                &["1:1", "1:1"],
            ),
            ("复刻・手表, 复刻の卡地亚手表", &["复刻", "复刻"]),
            ("セイコー 復刻版 腕時計", &[]),
            ("1:1 training shoes", &["1:1"]),
            ("1:1 knee support", &["1:1"]),
            ("garantie échange 1:1, exchange 1:1", &[]),
            ("Montre Réplique, RÉPLIQUES", &["Réplique", "RÉPLIQUES"]),
            ("un rouge sans réplique, répliques sismiques", &[]),
            // Japanese: a reissue.
            ("セイコー 復刻デザイン, G-SHOCK 復刻モデル, 復刻版", &[]),
            ("复刻版 手表, 復刻 手錶", &["复刻", "復刻"]),
        ] {
            assert_eq!(found(text), signals, "{text}");
        }
    }

    #[test]
    fn cjk_terms_match_anywhere() {
        assert_eq!(found("卡地亚高仿手表"), ["高仿"]);
        assert_eq!(found("原单复刻A货"), ["原单", "复刻", "A货"]);
    }

    /// Texts of words, some of them signal terms or near them, and
    /// characters the folds rewrite.
    fn texts() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let word = prop_oneof![
            proptest::sample::select(SIGNAL_TERMS).prop_map(str::to_owned),
            proptest::sample::select(vec![
                "rep",
                "lica",
                "f4ke",
                "R3pl1ca",
                "m",
                "rn",
                "1",
                ":",
                "高",
                "仿",
                "A",
                "aa",
                "Mirror",
                "qua1ity",
                "r.e.p.l.i.c.a",
                "ｆａｋｅ",
                "\u{200b}",
                "bag",
            ])
            .prop_map(str::to_owned),
            "\\PC{0,6}",
        ];
        let sep = proptest::sample::select(vec!["", " ", "-", ".", "  "]);
        proptest::collection::vec((word, sep), 0..16).prop_map(|parts| {
            parts
                .into_iter()
                .flat_map(|(w, s)| [w, s.to_owned()])
                .collect()
        })
    }

    /// Whether `set`'s own automaton finds a term in `folded`.
    fn is_match(set: &TermSet, folded: &FoldedText) -> bool {
        set.automaton
            .as_ref()
            .is_some_and(|a| a.is_match(folded.as_str()))
    }

    /// Every term, at every place around the middles the search splits
    /// the folds at, found where each set's own automaton finds it.
    #[test]
    fn terms_present_finds_a_term_wherever_it_stands() {
        let (mut exact, mut obf) = (FoldedText::new(), FoldedText::new());
        // Beside ASCII alone and beside another script, whose text the DFA
        // of all terms reads.
        for (term, filler) in SIGNAL_TERMS.iter().flat_map(|t| [(t, "q"), (t, "é")]) {
            for before in 0..24 {
                for after in 0..24 {
                    let (before, after) = (filler.repeat(before), filler.repeat(after));
                    let text = format!("{before} {term} {after}");
                    exact.fold(&text, Level::Exact);
                    obf.fold(&text, Level::Obfuscation);
                    let expected = (is_match(&SIGNALS, &exact), is_match(&SIGNALS_OBF, &obf));
                    assert!(expected.0 || expected.1, "{text}");
                    assert_eq!(
                        terms_present(&SIGNALS, &exact, &SIGNALS_OBF, &obf),
                        expected,
                        "{text}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        /// The four searches at once find a term where, and only where,
        /// each set's own automaton does.
        #[test]
        fn terms_present_agrees_with_each_automaton(text in texts()) {
            let (mut exact, mut obf) = (FoldedText::new(), FoldedText::new());
            exact.fold(&text, Level::Exact);
            obf.fold(&text, Level::Obfuscation);
            proptest::prop_assert_eq!(
                terms_present(&SIGNALS, &exact, &SIGNALS_OBF, &obf),
                (is_match(&SIGNALS, &exact), is_match(&SIGNALS_OBF, &obf)),
            );
            // Either way round, whichever text is the longer.
            proptest::prop_assert_eq!(
                terms_present(&SIGNALS_OBF, &obf, &SIGNALS, &exact),
                (is_match(&SIGNALS_OBF, &obf), is_match(&SIGNALS, &exact)),
            );
        }
    }
}
