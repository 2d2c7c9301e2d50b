//! The trees the coder relies on: hand-written news sentences of the kinds that flat patterns
//! get wrong, each with the arcs that matter, against the embedded model. Plus bad input, the
//! model file's round trip and training's determinism.

use super::*;

/// A word by form, `form#k` for its k-th occurrence; `ROOT` for the root.
fn find(words: &[ParsedWord], name: &str) -> usize {
    if name == "ROOT" {
        return 0;
    }
    let (form, k) = match name.split_once('#') {
        Some((f, k)) => (f, k.parse::<usize>().unwrap()),
        None => (name, 1),
    };
    words
        .iter()
        .enumerate()
        .filter(|(_, w)| w.form == form)
        .nth(k - 1)
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("no word {name}"))
}

/// Checks arcs `dependent relation head`, one per line; a relation or head may list
/// alternatives with `|` where the treebank's own choice between them is not settled (a
/// prepositional phrase on the verb or on its object).
fn check(sentence: &str, arcs: &str) {
    let model = SyntaxModel::embedded().unwrap();
    let parsed = model.parse_text(sentence);
    assert_eq!(parsed.len(), 1, "one sentence: {sentence}");
    let words = &parsed[0].words;
    let tree = parsed[0].to_conllu();
    for arc in arcs.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = arc.split_whitespace().collect();
        let d = find(words, parts[0]);
        let w = &words[d - 1];
        let rel_ok = parts[1].split('|').any(|r| r == w.deprel);
        let head_ok = parts[2].split('|').any(|h| find(words, h) == w.head);
        assert!(rel_ok && head_ok, "{sentence}\nexpected {arc}\n{tree}");
    }
}

#[test]
fn coordinated_subjects() {
    check(
        "Lula and Fernandez agreed on Tuesday to deepen energy cooperation.",
        "Lula nsubj agreed
         and cc Fernandez
         Fernandez conj Lula
         agreed root ROOT
         Tuesday obl agreed
         to mark deepen
         deepen xcomp agreed
         energy compound cooperation
         cooperation obj deepen",
    );
}

#[test]
fn coordinated_objects() {
    check(
        "The ministers condemned Iran and Israel.",
        "ministers nsubj condemned
         Iran obj condemned
         and cc Israel
         Israel conj Iran",
    );
}

#[test]
fn relative_clause_keeps_its_year() {
    check(
        "Egypt hosted talks on the ceasefire, which was brokered by Qatar and Egypt in 2021.",
        "Egypt nsubj hosted
         hosted root ROOT
         talks obj hosted
         ceasefire nmod|obl talks|hosted
         which nsubj:pass brokered
         was aux:pass brokered
         brokered acl:relcl ceasefire
         by case Qatar
         Qatar obl:agent brokered
         Egypt#2 conj Qatar
         2021 obl brokered",
    );
}

#[test]
#[ignore = "the model labels Kyiv obj of urged where EWT has iobj for urge X to (issue 20 open)"]
fn clause_boundaries_and_pronouns() {
    check(
        "Moscow urged Kyiv to withdraw its troops, and Kyiv rejected the demand.",
        "Moscow nsubj urged
         urged root ROOT
         Kyiv iobj urged
         to mark withdraw
         withdraw xcomp urged
         its nmod:poss troops
         troops obj withdraw
         and cc rejected
         Kyiv#2 nsubj rejected
         rejected conj urged
         demand obj rejected",
    );
}

#[test]
fn participial_clause_keeps_its_year() {
    check(
        "Ankara said it would lift restrictions imposed on Greek ships in 2019.",
        "Ankara nsubj said
         said root ROOT
         it nsubj lift
         would aux lift
         lift ccomp said
         restrictions obj lift
         imposed acl restrictions
         ships obl imposed
         2019 obl imposed",
    );
}

#[test]
#[ignore = "the model attaches `in Istanbul` to Russia, not to signed (issue 20 open)"]
fn passives_with_and_without_agent() {
    check(
        "The agreement was signed by Russia and Ukraine in Istanbul.",
        "agreement nsubj:pass signed
         was aux:pass signed
         signed root ROOT
         Russia obl:agent signed
         Ukraine conj Russia
         Istanbul obl signed",
    );
    check(
        "Two diplomats were expelled on Monday.",
        "diplomats nsubj:pass expelled
         were aux:pass expelled
         Monday obl expelled",
    );
}

#[test]
fn reported_speech_with_and_without_that() {
    check(
        "Erdogan said that Turkey would not withdraw its troops.",
        "Erdogan nsubj said
         that mark withdraw
         Turkey nsubj withdraw
         would aux withdraw
         not advmod withdraw
         withdraw ccomp said
         troops obj withdraw",
    );
    check(
        "Mekdad said Damascus wants a full withdrawal.",
        "Mekdad nsubj said
         Damascus nsubj wants
         wants ccomp said
         withdrawal obj wants",
    );
}

#[test]
fn negation_modals_and_future() {
    check(
        "Iran will not attend the summit.",
        "Iran nsubj attend
         will aux attend
         not advmod attend
         summit obj attend",
    );
    check(
        "Greece could lift the sanctions.",
        "Greece nsubj lift
         could aux lift
         sanctions obj lift",
    );
}

#[test]
fn light_verb_constructions() {
    check(
        "Russia held talks with Turkey.",
        "Russia nsubj held
         talks obj held
         with case Turkey
         Turkey obl|nmod held|talks",
    );
    check(
        "The European Union imposed sanctions on Belarus.",
        "Union nsubj imposed
         sanctions obj imposed
         Belarus obl|nmod imposed|sanctions",
    );
    check(
        "Mali pulled out of the regional security pact.",
        "Mali nsubj pulled
         out case pact
         of case pact
         pact obl pulled",
    );
}

#[test]
#[ignore = "the model tags Faisal ADJ (amod of Mekdad), not PROPN flat (issue 20 open)"]
fn apposition_of_a_title() {
    check(
        "Syria's foreign minister, Faisal Mekdad, met Lavrov.",
        "Syria nmod:poss minister
         's case Syria
         foreign amod minister
         minister nsubj met
         Faisal appos minister
         Mekdad flat Faisal
         Lavrov obj met",
    );
}

#[test]
#[ignore = "the model tags the second of two coordinated past verbs VBN (issue 20 open)"]
fn tags_and_lemmas() {
    let model = SyntaxModel::embedded().unwrap();
    let s = &model.parse_text("The ministries were holding talks and signed two agreements.")[0];
    let got: Vec<(&str, &str, &str)> = s.words.iter().map(|w| (w.lemma.as_str(), w.upos, w.xpos)).collect();
    assert_eq!(
        got,
        [
            ("the", "DET", "DT"),
            ("ministry", "NOUN", "NNS"),
            ("be", "AUX", "VBD"),
            ("hold", "VERB", "VBG"),
            ("talk", "NOUN", "NNS"),
            ("and", "CCONJ", "CC"),
            ("sign", "VERB", "VBD"),
            ("two", "NUM", "CD"),
            ("agreement", "NOUN", "NNS"),
            (".", "PUNCT", "."),
        ]
    );
}

#[test]
fn bad_input_gives_a_result_never_a_panic() {
    let model = SyntaxModel::embedded().unwrap();
    assert!(model.parse_text("").is_empty());
    assert!(model.parse_text("   \n\t ").is_empty());
    // A 10,000-word run-on sentence: one tree, every word with a head inside it.
    let long = "Turkey and Syria met and ".repeat(2000);
    let parsed = model.parse_text(&long);
    let words: usize = parsed.iter().map(|s| s.words.len()).sum();
    assert_eq!(words, 10_000);
    for s in &parsed {
        assert_eq!(s.words.iter().filter(|w| w.head == 0).count(), 1);
        assert!(s.words.iter().all(|w| w.head <= s.words.len()));
    }
    // Other scripts, control characters, a word of 100,000 letters.
    for text in [
        "Москва и Анкара провели переговоры.",
        "北京欢迎沙特和伊朗。",
        "a\u{0}b\u{7}\u{1b}[31m c",
        &"x".repeat(100_000),
    ] {
        for s in model.parse_text(text) {
            assert_eq!(s.words.iter().filter(|w| w.head == 0).count(), 1, "{text:?}");
        }
    }
}

#[test]
fn the_model_file_round_trips_and_damage_is_an_error() {
    let model = SyntaxModel::embedded().unwrap();
    let bytes = model.to_bytes();
    assert_eq!(&SyntaxModel::from_bytes(&bytes, "copy").unwrap(), model);
    let e = SyntaxModel::from_bytes(b"not a model", "x.model").unwrap_err();
    assert!(e.to_string().contains("x.model"), "{e}");
    let e = SyntaxModel::from_bytes(&bytes[..bytes.len() / 2], "half.model").unwrap_err();
    assert!(e.to_string().contains("half.model"), "{e}");
}

/// A CoNLL-U file under the repository's parent (`../shared/…`) or root (`eval/…`).
fn read_conllu(relative: &str) -> Vec<conllu::Sentence> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    // The material is there in CI; its absence is a failure, not a skip.
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    conllu::parse(&text, &path.display().to_string()).unwrap()
}

fn ewt_dev() -> Vec<conllu::Sentence> {
    read_conllu("../shared/corpus/ud-ewt/en_ewt-ud-dev.conllu")
}

fn assert_floors(scores: &[(&str, f64, f64)]) {
    for &(name, got, floor) in scores {
        assert!(got >= floor, "{name} {got:.2} under its floor {floor}");
    }
}

/// A small model: 300 sentences of EWT dev, two epochs, two folds.
fn train_small(options: train::TrainOptions) -> SyntaxModel {
    let gazetteer = Gazetteer::from_actor_files(&crate::domain::actors::builtin_tables());
    let options = train::TrainOptions { tagger_epochs: 2, parser_epochs: 2, folds: 2, ..options };
    train::train(&ewt_dev()[..300], &gazetteer, &options, &mut |_| {})
}

#[test]
fn the_committed_model_keeps_its_accuracy_on_ewt_dev() {
    let s = evaluate::gold_words(SyntaxModel::embedded().unwrap(), &ewt_dev());
    // Floors a little under what the committed model reaches (the README's table).
    assert_floors(&[
        ("UPOS", s.f1(s.upos), 94.8),
        ("XPOS", s.f1(s.xpos), 94.2),
        ("lemma", s.f1(s.lemma), 96.7),
        ("UAS", s.f1(s.uas), 83.8),
        ("LAS", s.f1(s.las), 80.2),
    ]);
}

#[test]
fn the_committed_model_keeps_its_accuracy_on_news() {
    // Our own news sentences (eval/syntax/news-dev.conllu), the text the coder reads.
    let news = read_conllu("eval/syntax/news-dev.conllu");
    let model = SyntaxModel::embedded().unwrap();
    let gold = evaluate::gold_words(model, &news);
    let (raw, skipped) = evaluate::raw_text(model, &news);
    assert_eq!(skipped, 0);
    // Our tokenizer splits news as the treebank does.
    assert!(raw.f1(raw.aligned) >= 99.5, "words {:.2}", raw.f1(raw.aligned));
    assert_floors(&[
        ("UPOS", gold.f1(gold.upos), 96.5),
        ("lemma", gold.f1(gold.lemma), 98.0),
        ("UAS", gold.f1(gold.uas), 85.5),
        ("LAS", gold.f1(gold.las), 83.5),
        ("raw-text LAS", raw.f1(raw.las), 83.5),
    ]);
}

#[test]
fn training_is_deterministic_given_a_seed() {
    let a = train_small(Default::default()).to_bytes();
    let b = train_small(Default::default()).to_bytes();
    assert!(a == b, "two trainings with one seed differ");
    let c = train_small(train::TrainOptions { seed: 2, ..Default::default() }).to_bytes();
    assert!(a != c, "the seed changes nothing");
}

#[test]
fn two_pass_ensembles_train_round_trip_and_tag() {
    let model = train_small(train::TrainOptions { ensemble: 2, two_pass: true, ..Default::default() });
    let back = SyntaxModel::from_bytes(&model.to_bytes(), "two-pass").unwrap();
    assert_eq!(back, model);
    // Trained on 300 sentences, it still tags their commonest words right.
    let words = back.analyse(&["The", "government", "said", "it", "would", "not", "comment", "."]);
    assert_eq!(words[0].upos, "DET");
    assert_eq!(words[7].upos, "PUNCT");
    assert_eq!(words.iter().filter(|w| w.head == 0).count(), 1);
}

#[test]
fn conllu_output_reads_back_as_the_same_trees() {
    let text = "Egypt hosted talks on the ceasefire.\n\nAnkara said it wouldn't lift restrictions.";
    let conllu = to_conllu(text).unwrap();
    let back = conllu::parse(&conllu, "out.conllu").unwrap();
    assert_eq!(back.len(), 2);
    assert_eq!(back[1].text.as_deref(), Some("Ankara said it wouldn't lift restrictions."));
    let forms: Vec<&str> = back[1].words.iter().map(|w| w.form.as_str()).collect();
    assert_eq!(forms, ["Ankara", "said", "it", "would", "n't", "lift", "restrictions", "."]);
    // "would" runs into "n't", and the words give the text back.
    assert!(back[1].words[3].no_space_after);
    let parsed = SyntaxModel::embedded().unwrap().parse_text(text);
    for (b, p) in back.iter().zip(&parsed) {
        let heads: Vec<usize> = b.words.iter().map(|w| w.head).collect();
        assert_eq!(heads, p.words.iter().map(|w| w.head).collect::<Vec<_>>());
    }
}
