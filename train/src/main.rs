//! `detente-train`: trains the syntax models on a Universal Dependencies treebank and scores them.
//!
//! ```text
//! cargo run --release -p detente-train -- syntax                 # train on ../shared/corpus/ud-ewt
//! cargo run --release -p detente-train -- evaluate --split test  # UPOS, XPOS, lemma, UAS, LAS
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use detente_core::syntax::{Gazetteer, SyntaxModel, conllu, evaluate, train};

#[derive(Parser)]
#[command(name = "detente-train", about = "Train and evaluate detente's syntax models (tagger, lemmatizer, parser)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Trains tagger, lemmatizer and parser on the treebank's train split and writes the model.
    Syntax {
        /// Folder of the treebank: en_ewt-ud-{train,dev,test}.conllu (UD English EWT,
        /// https://github.com/UniversalDependencies/UD_English-EWT).
        #[arg(long, default_value = "../shared/corpus/ud-ewt")]
        treebank: PathBuf,
        /// Where to write the model.
        #[arg(long, default_value = "core/data/syntax/en_ewt.model")]
        out: PathBuf,
        /// Seed of the example order and the parser's exploration: one seed, one file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Passes over the treebank for the tagger.
        #[arg(long, default_value_t = train::TrainOptions::default().tagger_epochs)]
        tagger_epochs: usize,
        /// Passes over the treebank for the parser.
        #[arg(long, default_value_t = train::TrainOptions::default().parser_epochs)]
        parser_epochs: usize,
        /// Models trained with consecutive seeds and averaged into one (slower training, a
        /// little more accurate).
        #[arg(long, default_value_t = train::TrainOptions::default().ensemble)]
        ensemble: usize,
        /// A second tagging pass that sees the first pass's tags ahead (more accurate tags,
        /// slower tagging).
        #[arg(long)]
        two_pass: bool,
    },
    /// Scores a model on a split: with the treebank's words (accuracies), and from the raw text
    /// through detente's tokenizer (F1 over aligned words), as CoNLL 2018 defines them.
    Evaluate {
        /// Folder of the treebank.
        #[arg(long, default_value = "../shared/corpus/ud-ewt")]
        treebank: PathBuf,
        /// The model to score; the embedded one when not given.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Which split: dev or test.
        #[arg(long, default_value = "test", value_parser = ["train", "dev", "test"])]
        split: String,
        /// A CoNLL-U file to score on instead of a split of the treebank (your own gold trees).
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

fn read_split(treebank: &Path, split: &str) -> anyhow::Result<Vec<conllu::Sentence>> {
    let path = treebank.join(format!("en_ewt-ud-{split}.conllu"));
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(conllu::parse(&text, &path.display().to_string())?)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Written through a handle so a closed pipe (`| head`) is an error, not a panic.
    let mut console = std::io::stdout().lock();
    match cli.command {
        Command::Syntax { treebank, out, seed, tagger_epochs, parser_epochs, ensemble, two_pass } => {
            let sentences = read_split(&treebank, "train")?;
            let options =
                train::TrainOptions { seed, tagger_epochs, parser_epochs, ensemble, two_pass, ..Default::default() };
            let started = Instant::now();
            // The tagger learns what the actor dictionary's names look like in text.
            let gazetteer = Gazetteer::from_actor_files(&detente_core::domain::actors::builtin_tables());
            let model = train::train(&sentences, &gazetteer, &options, &mut |stage| {
                eprintln!("[{:6.1} s] training the {stage}", started.elapsed().as_secs_f64());
            });
            let bytes = model.to_bytes();
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            let (tagger, parser, labeller) = model.sizes();
            writeln!(
                console,
                "trained on {} sentences in {:.1} s; features: tagger {tagger}, parser {parser}, labeller {labeller}",
                sentences.len(),
                started.elapsed().as_secs_f64()
            )?;
            writeln!(console, "wrote {} ({:.2} MB)", out.display(), bytes.len() as f64 / 1e6)?;
        }
        Command::Evaluate { treebank, model, split, file } => {
            let started = Instant::now();
            let owned;
            let model: &SyntaxModel = match model {
                Some(p) => {
                    owned = SyntaxModel::load(&p)?;
                    &owned
                }
                None => SyntaxModel::embedded()?,
            };
            writeln!(console, "model loaded in {:.3} s", started.elapsed().as_secs_f64())?;
            let (sentences, split) = match file {
                Some(path) => {
                    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                    (conllu::parse(&text, &path.display().to_string())?, path.display().to_string())
                }
                None => (read_split(&treebank, &split)?, split),
            };
            let started = Instant::now();
            let gold = evaluate::gold_words(model, &sentences);
            let elapsed = started.elapsed().as_secs_f64();
            writeln!(
                console,
                "\n{split}, the treebank's words ({} sentences, {:.0} words/s):",
                sentences.len(),
                gold.gold_words as f64 / elapsed
            )?;
            write!(console, "{gold}")?;
            let (raw, skipped) = evaluate::raw_text(model, &sentences);
            writeln!(
                console,
                "\n{split}, from raw text through detente's tokenizer (F1; {skipped} sentences without text skipped):"
            )?;
            write!(console, "{raw}")?;
        }
    }
    Ok(())
}
