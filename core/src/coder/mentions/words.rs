//! Word lists for reading mentions: modifiers before a role, titles before a name, nouns of
//! places and of people after a demonym, function words after a demonym used as a noun.

/// Modifiers allowed between a country and its role word ("Syria's top diplomat").
pub(super) const ROLE_MODIFIERS: &[&str] = &[
    "top",
    "senior",
    "chief",
    "deputy",
    "former",
    "new",
    "acting",
    "interim",
    "outgoing",
    "then",
    "ruling",
    "own",
    "visiting",
    "incoming",
    "caretaker",
    "elected",
    "exiled",
    "local",
    "regional",
    "federal",
    "national",
    "main",
    "two",
    "three",
    "four",
    "several",
    "some",
    "other",
    "foreign",
    "defence",
    "defense",
    "interior",
    "state",
    "armed",
    "security",
    "opposition",
    "rebel",
    "coalition",
    "military",
    "government",
    "navy",
    "border",
    "special",
];
/// Titles that precede a person's name.
pub(super) const TITLES: &[&str] = &[
    "president",
    "minister",
    "prime",
    "premier",
    "foreign",
    "defence",
    "defense",
    "secretary",
    "chancellor",
    "king",
    "queen",
    "prince",
    "emir",
    "sheikh",
    "general",
    "gen",
    "ambassador",
    "envoy",
    "spokesman",
    "spokeswoman",
    "leader",
    "chairman",
    "ayatollah",
    "mr",
    "mrs",
    "ms",
    "dr",
    "sultan",
    "crown",
    "vice",
    "deputy",
    "state",
    "counterpart",
    "lieutenant",
    "colonel",
    "marshal",
    "admiral",
    "commander",
    "chief",
    "of",
    "staff",
    "speaker",
    "senator",
    "diplomat",
    "top",
    "lord",
];

/// Nouns of places: after a demonym the demonym names where, not who.
pub(super) fn is_place_noun(k: &str) -> bool {
    matches!(
        k,
        "town"
            | "city"
            | "village"
            | "villages"
            | "towns"
            | "cities"
            | "province"
            | "region"
            | "capital"
            | "border"
            | "territory"
            | "airspace"
            | "port"
            | "base"
            | "camp"
            | "island"
            | "islands"
            | "coast"
            | "waters"
            | "soil"
            | "side"
            | "enclave"
            | "district"
            | "state"
            | "mainland"
            | "frontier"
    )
}

/// A plural noun that names people after a demonym ("prisoners", "immigrants", "farmers"):
/// the demonym is then an actor. Things ("missiles", "goods", "forces" are roles) are not.
pub(super) fn is_plural_people(k: &str) -> bool {
    const NOT_PEOPLE: &[&str] = &[
        "missiles",
        "goods",
        "products",
        "exports",
        "imports",
        "weapons",
        "arms",
        "tanks",
        "rockets",
        "sanctions",
        "interests",
        "assets",
        "funds",
        "relations",
        "ties",
        "talks",
        "elections",
        "waters",
        "lands",
        "territories",
        "borders",
        "cities",
        "towns",
        "villages",
        "positions",
        "bases",
        "gas",
        "supplies",
        "affairs",
        "issues",
        "plans",
        "efforts",
        "demands",
        "claims",
        "reports",
        "news",
        "media",
        "authorities",
        "years",
        "months",
        "areas",
        "regions",
        "provinces",
        "islands",
        "embassies",
        "companies",
        "banks",
        "markets",
        "prices",
        "laws",
        "rights",
    ];
    k.len() > 4 && k.ends_with('s') && !k.ends_with("ss") && !NOT_PEOPLE.contains(&k)
}

/// Words that may follow a demonym used as a noun ("the Syrians said", "Turks and Kurds").
pub(super) fn is_function_word(k: &str) -> bool {
    matches!(
        k,
        "and"
            | "or"
            | "said"
            | "say"
            | "says"
            | "have"
            | "has"
            | "had"
            | "are"
            | "were"
            | "is"
            | "was"
            | "will"
            | "would"
            | "to"
            | "of"
            | "in"
            | "on"
            | "at"
            | "from"
            | "with"
            | "who"
            | "which"
            | "that"
            | "also"
            | "both"
            | "themselves"
            | "could"
            | "should"
            | "may"
            | "might"
            | "must"
            | "can"
    )
}
