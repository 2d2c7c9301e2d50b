#![no_main]
//! Text as the syntax model takes it: split into sentences and words, tagged, lemmatized and
//! parsed. Every sentence must come back as a tree: one root, every head inside the sentence.
use detente_core::syntax::SyntaxModel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(model) = SyntaxModel::embedded() else { return };
    for sentence in model.parse_text(&text) {
        let n = sentence.words.len();
        assert_eq!(sentence.words.iter().filter(|w| w.head == 0).count(), 1);
        assert!(sentence.words.iter().all(|w| w.head <= n && w.start < w.end && w.end <= text.len()));
    }
});
