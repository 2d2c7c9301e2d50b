//! A negotiation scenario: issues, each on a scale with labelled anchor points, and every
//! actor's stance on each (position, salience, capability), checked as a whole with errors that
//! name the offending stance or line.

use crate::error::{Error, Location, Result};

/// How a source gives salience: as a fraction (0–1) or a percentage (0–100). Declared by the
/// caller, never guessed from the numbers: a 0.9 and a 90 mean the same only if one says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SalienceScale {
    /// 0 to 1.
    Fraction,
    /// 0 to 100.
    Percent,
}

impl SalienceScale {
    /// The scale by its name: `fraction` (0–1) or `percent` (0–100).
    pub fn named(name: &str) -> Result<SalienceScale> {
        match name {
            "fraction" => Ok(SalienceScale::Fraction),
            "percent" => Ok(SalienceScale::Percent),
            _ => Err(Error::invalid("salience_scale", format!("`{name}` is not fraction or percent"))),
        }
    }

    /// A salience read at `at` on this scale, as a fraction; off the scale is an error there (a
    /// percentage read as a fraction says to declare percent).
    pub(super) fn fraction_at(self, given: f64, at: Location) -> Result<f64> {
        let fraction = match self {
            SalienceScale::Fraction => given,
            SalienceScale::Percent => given / 100.0,
        };
        if (0.0..=1.0).contains(&fraction) {
            return Ok(fraction);
        }
        let hint = match self {
            SalienceScale::Fraction if given <= 100.0 => " (declare the salience scale as percent if it runs to 100)",
            _ => "",
        };
        Err(Error::invalid_at(at, format!("salience {given} is off its declared scale{hint}")))
    }
}

/// A number read from a cell at `at`.
pub(super) fn number_at(cell: &str, at: Location) -> Result<f64> {
    cell.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| Error::invalid_at(at, format!("`{cell}` is not a number")))
}

/// One issue: what is being decided, on a one-dimensional scale from `min` to `max`.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// A short id stances refer to (`withdrawal`).
    pub id: String,
    /// What the scale measures, for people.
    pub label: String,
    /// The scale's low end.
    pub min: f64,
    /// The scale's high end.
    pub max: f64,
    /// Named points of the scale (`0`: "no withdrawal", `100`: "full withdrawal by 2024").
    pub anchors: Vec<(f64, String)>,
}

/// An actor's stance on one issue.
#[derive(Debug, Clone, PartialEq)]
pub struct Stance {
    /// The actor (a name, or a dictionary code).
    pub actor: String,
    /// The issue's id.
    pub issue: String,
    /// Where the actor stands on the issue's scale.
    pub position: f64,
    /// How much the issue matters to it, as a fraction (0–1).
    pub salience: f64,
    /// What it can bring to bear (any non-negative unit, the same for every actor).
    pub capability: f64,
}

/// Issues and stances, checked: every number finite, positions on their issue's scale, salience
/// within 0–1, capability non-negative, one stance per actor and issue, and on each issue at
/// least two actors and some capability × salience to weigh them by.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    issues: Vec<Issue>,
    stances: Vec<Stance>,
}

impl Scenario {
    /// A checked scenario; the first problem found is an error naming its field
    /// (`issues[1].max`, `stances[4].salience`).
    pub fn new(issues: Vec<Issue>, stances: Vec<Stance>) -> Result<Scenario> {
        Scenario::located(issues, stances, &|i, f| Location::field(format!("stances[{i}].{f}")))
    }

    /// As [`Scenario::new`], with a stance's problem located by `at(index, field)` (a file's line).
    pub(super) fn located(
        issues: Vec<Issue>,
        stances: Vec<Stance>,
        at_stance: &dyn Fn(usize, &str) -> Location,
    ) -> Result<Scenario> {
        for (i, issue) in issues.iter().enumerate() {
            let at = |f: &str| format!("issues[{i}].{f}");
            if issue.id.trim().is_empty() {
                return Err(Error::invalid(at("id"), "an issue needs an id"));
            }
            if issues[..i].iter().any(|o| o.id == issue.id) {
                return Err(Error::invalid(at("id"), format!("issue `{}` is given twice", issue.id)));
            }
            if issue.anchors.iter().any(|a| !a.0.is_finite()) {
                return Err(Error::invalid(at("anchors"), "an anchor point is not a number"));
            }
            if !issue.min.is_finite()
                || !issue.max.is_finite()
                || issue.min >= issue.max
                || !(issue.max - issue.min).is_finite()
            {
                return Err(Error::invalid(
                    at("max"),
                    format!("the scale must run from a lower to a higher number, not {} to {}", issue.min, issue.max),
                ));
            }
        }
        for (i, s) in stances.iter().enumerate() {
            let at = |f: &str| at_stance(i, f);
            let Some(issue) = issues.iter().find(|x| x.id == s.issue) else {
                return Err(Error::invalid_at(at("issue"), format!("no issue `{}`", s.issue)));
            };
            if s.actor.trim().is_empty() {
                return Err(Error::invalid_at(at("actor"), "a stance needs an actor"));
            }
            if stances[..i].iter().any(|o| o.actor == s.actor && o.issue == s.issue) {
                return Err(Error::invalid_at(at("actor"), format!("`{}` has two stances on `{}`", s.actor, s.issue)));
            }
            if !s.position.is_finite() || s.position < issue.min || s.position > issue.max {
                return Err(Error::invalid_at(
                    at("position"),
                    format!("{} is off the scale of `{}` ({} to {})", s.position, issue.id, issue.min, issue.max),
                ));
            }
            if !(0.0..=1.0).contains(&s.salience) {
                return Err(Error::invalid_at(at("salience"), format!("salience {} is not within 0 to 1", s.salience)));
            }
            if !s.capability.is_finite() || s.capability < 0.0 {
                return Err(Error::invalid_at(at("capability"), format!("capability {} is negative", s.capability)));
            }
        }
        for (i, issue) in issues.iter().enumerate() {
            let on: Vec<&Stance> = stances.iter().filter(|s| s.issue == issue.id).collect();
            if on.len() < 2 {
                return Err(Error::invalid(format!("issues[{i}]"), format!("`{}` needs two actors or more", issue.id)));
            }
            if !on.iter().map(|s| s.salience * s.capability).sum::<f64>().is_finite() {
                return Err(Error::invalid(
                    format!("issues[{i}]"),
                    format!("the capabilities on `{}` add up past the range of numbers", issue.id),
                ));
            }
            if on.iter().all(|s| s.salience * s.capability == 0.0) {
                return Err(Error::invalid(
                    format!("issues[{i}]"),
                    format!("no actor on `{}` has both salience and capability", issue.id),
                ));
            }
        }
        Ok(Scenario { issues, stances })
    }

    /// A checked scenario from stances whose salience is on `scale`, converted to fractions;
    /// a salience off its scale is an error naming `stances[i].salience`.
    pub fn with_salience_scale(issues: Vec<Issue>, mut stances: Vec<Stance>, scale: SalienceScale) -> Result<Scenario> {
        for (i, s) in stances.iter_mut().enumerate() {
            s.salience = scale.fraction_at(s.salience, Location::field(format!("stances[{i}].salience")))?;
        }
        Scenario::new(issues, stances)
    }

    /// The issues, in the order given.
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    /// The issue `id`, or the first issue when none is named.
    pub fn issue(&self, id: Option<&str>) -> Result<&Issue> {
        match id {
            None => self.issues.first().ok_or_else(|| Error::invalid("issue", "the scenario has no issue")),
            Some(id) => self.issues.iter().find(|i| i.id == id).ok_or_else(|| {
                let ids: Vec<&str> = self.issues.iter().map(|i| i.id.as_str()).collect();
                Error::invalid("issue", format!("no issue `{id}` (the scenario has {ids:?})"))
            }),
        }
    }

    /// Every stance, in the order given.
    pub fn stances(&self) -> &[Stance] {
        &self.stances
    }

    /// The actors, in the order they first appear among the stances.
    pub fn actors(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for s in &self.stances {
            if !seen.contains(&s.actor) {
                seen.push(s.actor.clone());
            }
        }
        seen
    }

    /// The stances on one issue, in the order given.
    pub fn stances_on<'a>(&'a self, issue: &'a str) -> impl Iterator<Item = &'a Stance> + 'a {
        self.stances.iter().filter(move |s| s.issue == issue)
    }
}
