//! Sentence events from token windows (the coder of before the parse): the most specific match
//! at each head, skipped where the verb is negated, hypothetical or no verb, coded from its frame
//! or category, with sources and targets read from the clause around it.

use super::verb::VerbContext;
use super::window::{Match, find_matches, specificity};
use super::{Sent, SentenceEvent};
use crate::coder::events::{mention_code_and_text, one_side, pairs, push_new, variants};
use crate::coder::lexicon::{Category, Elem, FrameKind, Lexicon, Owner, Pattern};

/// Sources and targets (mention indexes) of the last coded verb.
type Parties = (Vec<usize>, Vec<usize>);
/// A match's code, its category and the token range of a frame's complement.
type Coded<'l> = (String, Option<&'l Category>, Option<(usize, usize)>);

/// The events of a sentence read from token windows alone; `trace` receives the matches not
/// coded and why.
pub(super) fn events_of(lex: &Lexicon, s: &Sent, trace: &mut Vec<String>) -> Vec<SentenceEvent> {
    let best = best_matches(lex, s);
    // Category matches anywhere (complement-only ones included) serve as frame content.
    let all = find_matches(lex, s);
    let categories = category_matches(lex, &all);
    // Frames own the category matches inside their complement.
    let frames = frame_spans(lex, s, &best);
    let mut out: Vec<SentenceEvent> = Vec::new();
    // Words a coded pattern consumed ("accused Syria of shelling …") are not events of their own.
    let mut covered: Vec<(usize, usize)> = Vec::new();
    // The actors of the last coded verb, for coordinated verbs ("X accused Y and demanded …").
    let mut previous: Option<Parties> = None;
    for m in &best {
        let pat = &lex.patterns[m.pattern];
        let vc = match read_verb(lex, s, m, &covered, &frames) {
            Ok(vc) => vc,
            Err(why) => {
                trace.push(why);
                continue;
            }
        };
        // "will not release" is a refusal; "did not release" is nothing.
        let refusal = vc.neg && vc.fut;
        let sayer = vc.must && !s.sayer(m.head).0.is_empty() || (vc.must && s.sayer(m.head).1);
        let Some((code, category, content_range)) = code_of(lex, s, m, &vc, sayer, &categories, trace) else {
            continue;
        };
        let planned = vc.fut && !refusal && !code.starts_with("03") && !code.starts_with("13");
        let (sources, targets) =
            window_parties(s, pat, m, Voice { sayer, passive: vc.passive }, category, content_range, previous.as_ref());
        if sources.is_empty() && targets.is_empty() {
            continue;
        }
        let symmetric = category.is_some_and(|c| c.symmetric);
        previous = Some((sources.clone(), targets.clone()));
        if matches!(pat.owner, Owner::Category(_)) {
            covered.push((m.head + 1, m.end));
        }
        if symmetric && targets.is_empty() && sources.len() < 2 {
            trace.push(format!("skip {} (a meeting needs two parties)", pat.rule));
            continue;
        }
        emit(s, pat, m, (&code, planned, category), content_range, (&sources, &targets), &mut out);
    }
    out
}

/// At one head, the most specific pattern; main verbs never take a complement-only pattern.
fn best_matches(lex: &Lexicon, s: &Sent) -> Vec<Match> {
    let mut matches = find_matches(lex, s);
    matches.sort_by_key(|m| (m.head, std::cmp::Reverse(specificity(lex, m))));
    let mut best: Vec<Match> = Vec::new();
    for m in matches {
        let is_frame = matches!(lex.patterns[m.pattern].owner, Owner::Frame(_));
        let usable = is_frame || !lex.patterns[m.pattern].content_only;
        match best.last() {
            Some(b) if b.head == m.head => {}
            _ if usable => best.push(m),
            _ => {}
        }
    }
    best
}

/// The most specific category match at each head.
fn category_matches<'m>(lex: &Lexicon, all: &'m [Match]) -> Vec<&'m Match> {
    let mut v: Vec<&Match> =
        all.iter().filter(|x| matches!(lex.patterns[x.pattern].owner, Owner::Category(_))).collect();
    v.sort_by_key(|m| (m.head, std::cmp::Reverse(specificity(lex, m))));
    v.dedup_by_key(|m| m.head);
    v
}

/// Each frame read as a verb: its head, and the token range of its complement.
fn frame_spans(lex: &Lexicon, s: &Sent, best: &[Match]) -> Vec<(usize, usize, usize)> {
    best.iter()
        .filter(|m| matches!(lex.patterns[m.pattern].owner, Owner::Frame(_)))
        .filter(|m| {
            let p = &lex.patterns[m.pattern];
            s.not_a_verb(m.head, p.nominal || p.elems.len() >= 3).is_none()
        })
        .map(|m| {
            let c = m.content.unwrap_or(m.end);
            (m.head, m.head + 1, s.clause_end(c))
        })
        .collect()
}

/// The context of the verb at a match's head, or why the match is not coded (the trace line):
/// part of another pattern, negated, hypothetical, a state, a frame's content, no verb.
fn read_verb(
    lex: &Lexicon,
    s: &Sent,
    m: &Match,
    covered: &[(usize, usize)],
    frames: &[(usize, usize, usize)],
) -> Result<VerbContext, String> {
    let pat = &lex.patterns[m.pattern];
    let inside_frame = |m: &Match| frames.iter().any(|&(h, c, e)| m.head != h && m.head >= c && m.head < e);
    if covered.iter().any(|&(a, b)| m.head >= a && m.head < b) {
        return Err(format!("part of another pattern: {}", pat.rule));
    }
    let vc = s.verb_context_full(m.head);
    let (neg, hyp, fut, passive) = (vc.neg, vc.hyp, vc.fut, vc.passive);
    // "will not release" is a refusal; "did not release" is nothing.
    let refusal = neg && fut;
    if (neg && !refusal) || hyp {
        return Err(format!("skip {} ({})", pat.rule, if hyp { "hypothetical" } else { "negated" }));
    }
    // "Currently, Turkey holds …", "still hosts": an ongoing state, not an act (policy: states
    // are not coded as events).
    let clause_from = (0..m.head).rev().find(|&i| s.key(i) == ";").map_or(0, |i| i + 1);
    if (clause_from..m.head).any(|i| matches!(s.key(i), "currently" | "still" | "presently")) {
        return Err(format!("skip {} (an ongoing state)", pat.rule));
    }
    // "which is occupied by militias": a present-tense passive describes a state, not an act.
    if passive && m.head > 0 && matches!(s.key(m.head - 1), "is" | "are") {
        return Err(format!("skip {} (a state)", pat.rule));
    }
    if inside_frame(m) {
        return Err(format!("content {} (inside a frame's complement)", pat.rule));
    }
    // A frame with words after its head ("an appeal to Belgium to …") reads as well from a noun.
    let nominal = pat.nominal || (matches!(pat.owner, Owner::Frame(_)) && pat.elems.len() >= 3);
    if let Some(why) = s.not_a_verb(m.head, nominal) {
        return Err(format!("skip {} ({why})", pat.rule));
    }
    Ok(vc)
}

/// A match's code, its category and the token range of a frame's complement; None (with the
/// reason in `trace`) when the frame or category gives no code here.
fn code_of<'l>(
    lex: &'l Lexicon,
    s: &Sent,
    m: &Match,
    vc: &VerbContext,
    sayer: bool,
    categories: &[&Match],
    trace: &mut Vec<String>,
) -> Option<Coded<'l>> {
    let pat = &lex.patterns[m.pattern];
    let (fut, passive) = (vc.fut, vc.passive);
    let refusal = vc.neg && fut;
    let coded = match pat.owner {
        Owner::Frame(fi) => {
            let frame = &lex.frames[fi];
            let c = m.content.unwrap_or(m.end);
            let cend = s.clause_end(c);
            // The complement's category: the first after the frame's words, else any after the head.
            let near = |x: &&&Match| {
                let words = (c..x.head).filter(|&i| !s.mentions.iter().any(|mm| mm.start <= i && i < mm.end)).count();
                words <= 6
            };
            let content = categories
                .iter()
                .find(|x| x.head >= c && x.head < cend && near(x))
                .or_else(|| categories.iter().find(|x| x.head > m.head && x.head < c));
            let cat = content.and_then(|x| match lex.patterns[x.pattern].owner {
                Owner::Category(ci) => Some(&lex.categories[ci]),
                Owner::Frame(_) => None,
            });
            let kind = if refusal {
                FrameKind::Reject
            } else if sayer {
                FrameKind::Demand
            } else {
                frame.kind
            };
            if kind == FrameKind::Swallow {
                trace.push(format!("swallow {} (its complement is not an act)", pat.rule));
                return None;
            }
            (frame.code(kind, cat), None, Some((c, cend)))
        }
        Owner::Category(ci) => {
            let cat = &lex.categories[ci];
            // "Y must release" is a demand only when someone said it.
            let code = if vc.must && !sayer && !refusal { None } else { cat.code(refusal, vc.must, fut && !passive) };
            let Some(code) = code else {
                trace.push(format!("skip {} (no code in this frame)", pat.rule));
                return None;
            };
            (code, Some(cat), None)
        }
    };
    Some(coded)
}

/// How a matched verb speaks: demanded by the sayer of a reported clause ("X said Y must …"),
/// and in the passive voice.
#[derive(Clone, Copy)]
struct Voice {
    sayer: bool,
    passive: bool,
}

/// Sources and targets (mention indexes) of a coded match, read from the clause around it;
/// `previous` holds those of the last coded verb.
fn window_parties(
    s: &Sent,
    pat: &Pattern,
    m: &Match,
    voice: Voice,
    category: Option<&Category>,
    content_range: Option<(usize, usize)>,
    previous: Option<&Parties>,
) -> Parties {
    let Voice { sayer, passive } = voice;
    let demand_by_sayer = sayer;
    // Source and target.
    let (mut sources, mut targets) = if demand_by_sayer {
        // "X said Y must return the helicopter": X demands of Y.
        (s.sayer(m.head).0, s.subject(m.head))
    } else if passive && m.target.is_empty() {
        // "X was invited by Y": Y acts on X.
        let agent = if m.source.is_empty() {
            (m.end..s.clause_end(m.end)).find(|&i| s.key(i) == "by").and_then(|i| s.group_at(i + 1)).map(|g| g.0)
        } else {
            Some(m.source.clone())
        };
        (agent.unwrap_or_default(), s.subject(m.head))
    } else if m.source.is_empty() && s.coordinated_verb(m.head) {
        // "… and invited Maduro": the subject of the first verb acts again.
        let src = previous.map(|p| p.0.clone()).filter(|p| !p.is_empty()).unwrap_or_else(|| s.clause_subject(m.head));
        (src, m.target.clone())
    } else if !m.source.is_empty() && !pat.elems.iter().any(|e| matches!(e, Elem::Target)) {
        // "received an invitation from the Arab League": the named source acts on the subject.
        (m.source.clone(), s.subject(m.head))
    } else {
        let src = if m.source.is_empty() { s.subject(m.head) } else { m.source.clone() };
        (src, m.target.clone())
    };
    let symmetric_group = category.is_some_and(|c| c.symmetric) && sources.len() >= 2;
    if targets.is_empty() && !passive && !symmetric_group {
        let (from, end) = match content_range {
            Some((c, e)) => (c, e),
            None => (m.head + 1, s.clause_end(m.head + 1)),
        };
        targets = s.object(from, end, &sources, false);
        if targets.is_empty() && content_range.is_none() {
            targets = s.object(m.head + 1, end, &sources, true);
        }
    }
    if targets.is_empty()
        && s.coordinated_verb(m.head)
        && let Some((_, t)) = previous
    {
        targets = t.clone();
    }
    sources.dedup();
    targets.retain(|t| !sources.contains(t));
    // A target that is the source again ("Kurds … independence from Iraq" for Iraqi Kurds) is no target.
    let codes_of = |v: &[usize]| v.iter().map(|&i| s.mentions[i].code.clone()).collect::<Vec<_>>();
    let source_codes = codes_of(&sources);
    targets.retain(|&t| s.mentions[t].code.starts_with("---") || !source_codes.contains(&s.mentions[t].code));
    (sources, targets)
}

/// Adds the events of a coded match to `out`: each of its codes (`act`: code, planned,
/// category) for each pair of its parties.
fn emit(
    s: &Sent,
    pat: &Pattern,
    m: &Match,
    (code, planned, category): (&str, bool, Option<&Category>),
    content_range: Option<(usize, usize)>,
    (sources, targets): (&[usize], &[usize]),
    out: &mut Vec<SentenceEvent>,
) {
    let symmetric = category.is_some_and(|c| c.symmetric);
    let span_start =
        sources.iter().chain(targets).map(|&i| s.mentions[i].start).chain([m.head]).min().unwrap_or(m.head);
    let span_end =
        sources.iter().chain(targets).map(|&i| s.mentions[i].end).chain([m.end.max(m.head + 1)]).max().unwrap_or(m.end);
    let span = (s.toks[span_start].start, s.toks[span_end.min(s.n()) - 1].end);
    // "A and B agreed …" without a target: each party to the other (the windows cannot tell a
    // reciprocal verb).
    let pairs = pairs(&s.mentions, sources, targets, symmetric, true);
    let variants = variants(code, planned, category);
    let mut emit = |src: Option<usize>, tgt: Option<usize>, sym: bool, code: &String, planned: bool| {
        if one_side(&s.mentions, src, tgt) {
            return;
        }
        let mention = |i: usize| mention_code_and_text(s.text, &s.toks, &s.mentions[i]);
        let (source, source_name) = src.map(mention).map_or((None, None), |(c, n)| (Some(c), Some(n)));
        let (target, target_name) = tgt.map(mention).map_or((None, None), |(c, n)| (Some(c), Some(n)));
        let clause_start = (0..m.head).rev().find(|&i| s.key(i) == ";").map_or(0, |i| i + 1);
        let ev = SentenceEvent {
            source,
            source_name,
            target,
            target_name,
            code: code.clone(),
            rule: pat.rule.clone(),
            symmetric: sym,
            planned,
            span,
            head: m.head,
            clause: (clause_start, s.clause_end(m.head + 1)),
            complement: content_range,
            nested: Vec::new(),
            predicate: String::new(),
            pending_target: None,
            source_mention: src,
            target_mention: tgt,
            match_id: m.head,
        };
        push_new(out, ev);
    };
    for (code, planned) in &variants {
        for &(a, b, sym) in &pairs {
            emit(a, b, sym, code, *planned);
        }
    }
}
