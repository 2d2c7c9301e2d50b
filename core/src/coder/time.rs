//! Time expressions in a sentence, resolved against the publication date: "on May 19",
//! "in December", "last month", "on Tuesday", "a day earlier", "in 2016", "since 2017",
//! "throughout the 12-year war", "for more than three years".

use crate::domain::date::{Date, DatePrecision};
use crate::domain::text::{Token, TokenKind};

/// Which way an expression points from the publication date, when the text does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Past events (the default in news).
    Past,
    /// Announced future events.
    Future,
}

/// A time expression found in a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TimeExpr {
    /// First token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
    /// What it says.
    pub kind: TimeKind,
}

/// What a time expression says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TimeKind {
    /// A day of a month, year optional: "May 19", "19 May 2023".
    MonthDay { month: u32, day: u32, year: Option<i32> },
    /// A month, year optional: "in December", "December 2022".
    Month { month: u32, year: Option<i32> },
    /// A year: "in 2016".
    Year(i32),
    /// "since 2017": background from that year on.
    Since(i32),
    /// A weekday: "on Tuesday".
    Weekday(u32),
    /// Days from the publication (or reference) date: "yesterday" = -1, "today" = 0.
    DayOffset(i32),
    /// Relative to the previous dated event: "a day earlier" = -1, "two days later" = 2.
    RelativeDays(i32),
    /// Months from the publication month: "last month" = -1, "this month" = 0.
    MonthOffset(i32),
    /// Weeks: "last week" = -1.
    WeekOffset(i32),
    /// Years: "last year" = -1, "earlier this year" = 0.
    YearOffset(i32),
    /// A span of years reaching back from the publication: "throughout the 12-year war",
    /// "for more than three years" (background).
    YearsBack(i32),
    /// "recently": near the publication, known to the month.
    Recently,
}

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const MONTH_ABBR: &[&str] = &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS: &[&str] = &["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const NUMBERS: &[&str] =
    &["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

fn month_of(t: &Token) -> Option<u32> {
    // "May" the month is written with a capital; "may" the verb is not.
    if !t.capitalized {
        return None;
    }
    let k = t.key.as_str();
    MONTHS
        .iter()
        .position(|m| *m == k)
        .or_else(|| MONTH_ABBR.iter().position(|m| *m == k && k != "may"))
        .map(|i| i as u32 + 1)
}

fn number(t: &Token) -> Option<i32> {
    if t.kind == TokenKind::Number {
        return t.key.parse().ok();
    }
    NUMBERS.iter().position(|n| *n == t.key).map(|i| i as i32).or_else(|| (t.key == "a" || t.key == "an").then_some(1))
}

fn year(t: &Token) -> Option<i32> {
    (t.kind == TokenKind::Number && t.key.len() == 4)
        .then(|| t.key.parse().ok())
        .flatten()
        .filter(|y| (1900..=2100).contains(y))
}

fn day(t: &Token) -> Option<u32> {
    let k = t.key.trim_end_matches(|c: char| c.is_alphabetic());
    let d: u32 = k.parse().ok()?;
    (1..=31).contains(&d).then_some(d)
}

/// Finds the time expressions of a sentence's tokens.
pub(crate) fn find(toks: &[Token]) -> Vec<TimeExpr> {
    let mut out = Vec::new();
    let key = |i: usize| toks.get(i).map_or("", |t| t.key.as_str());
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        // Month-based: "May 19", "May 19, 2023", "19 May 2023", "December 2022", "(in) December".
        if let Some(m) = month_of(t) {
            if let Some(d) = toks.get(i + 1).and_then(day) {
                let mut end = i + 2;
                let mut y = None;
                if key(end) == "," {
                    if let Some(yy) = toks.get(end + 1).and_then(year) {
                        y = Some(yy);
                        end += 2;
                    }
                } else if let Some(yy) = toks.get(end).and_then(year) {
                    y = Some(yy);
                    end += 1;
                }
                out.push(TimeExpr { start: i, end, kind: TimeKind::MonthDay { month: m, day: d, year: y } });
                i = end;
                continue;
            }
            let y = toks.get(i + 1).and_then(year);
            // "May" alone only after "in"/"last"/"next"/"since"/"early"/"late" (it is also a name).
            let anchored = i > 0
                && matches!(key(i - 1), "in" | "last" | "next" | "since" | "early" | "late" | "mid" | "until" | "by");
            if y.is_some() || anchored || m != 5 {
                let end = if y.is_some() { i + 2 } else { i + 1 };
                let kind = match (key(i.wrapping_sub(1)), y) {
                    ("since", Some(yy)) => TimeKind::Since(yy),
                    _ => TimeKind::Month { month: m, year: y },
                };
                let start = if i > 0 && matches!(key(i - 1), "last" | "next") { i - 1 } else { i };
                out.push(TimeExpr { start, end, kind });
                i = end;
                continue;
            }
        }
        if let Some(d) = day(t)
            && let Some(m) = toks.get(i + 1).and_then(month_of)
        {
            let y = toks.get(i + 2).and_then(year);
            let end = if y.is_some() { i + 3 } else { i + 2 };
            out.push(TimeExpr { start: i, end, kind: TimeKind::MonthDay { month: m, day: d, year: y } });
            i = end;
            continue;
        }
        if let Some(y) = year(t) {
            let kind = if i > 0 && key(i - 1) == "since" { TimeKind::Since(y) } else { TimeKind::Year(y) };
            // A year as a quantity ("2016 people") is rare in news; accept after in/since/of/by or alone.
            out.push(TimeExpr { start: i, end: i + 1, kind });
            i += 1;
            continue;
        }
        if let Some(w) = WEEKDAYS.iter().position(|d| *d == t.key) {
            out.push(TimeExpr { start: i, end: i + 1, kind: TimeKind::Weekday(w as u32) });
            i += 1;
            continue;
        }
        let simple = match t.key.as_str() {
            "yesterday" => Some(TimeKind::DayOffset(-1)),
            "today" | "tonight" => Some(TimeKind::DayOffset(0)),
            "tomorrow" => Some(TimeKind::DayOffset(1)),
            "recently" => Some(TimeKind::Recently),
            _ => None,
        };
        if let Some(k) = simple {
            out.push(TimeExpr { start: i, end: i + 1, kind: k });
            i += 1;
            continue;
        }
        // "last month", "next week", "this year", "earlier this year".
        if matches!(t.key.as_str(), "last" | "next" | "this" | "past") {
            let off = match t.key.as_str() {
                "last" | "past" => -1,
                "next" => 1,
                _ => 0,
            };
            let kind = match key(i + 1) {
                "month" => Some(TimeKind::MonthOffset(off)),
                "week" | "weekend" => Some(TimeKind::WeekOffset(off)),
                "year" => Some(TimeKind::YearOffset(off)),
                _ => None,
            };
            if let Some(k) = kind {
                out.push(TimeExpr { start: i, end: i + 2, kind: k });
                i += 2;
                continue;
            }
        }
        // "a day earlier", "two days later", "a week earlier".
        if let Some(n) = number(t) {
            let unit = match key(i + 1) {
                "day" | "days" => Some(1),
                "week" | "weeks" => Some(7),
                _ => None,
            };
            if let (Some(u), dir @ ("earlier" | "later" | "before" | "after" | "ago")) = (unit, key(i + 2)) {
                let sign = if matches!(dir, "earlier" | "before" | "ago") { -1 } else { 1 };
                let kind =
                    if dir == "ago" { TimeKind::DayOffset(-n * u) } else { TimeKind::RelativeDays(sign * n * u) };
                out.push(TimeExpr { start: i, end: i + 3, kind });
                i += 3;
                continue;
            }
            // "three years ago"
            if matches!(key(i + 1), "year" | "years") && key(i + 2) == "ago" {
                out.push(TimeExpr { start: i, end: i + 3, kind: TimeKind::YearOffset(-n) });
                i += 3;
                continue;
            }
        }
        // "throughout the 12-year civil war", "a seven-year rupture": a span of years back.
        // An age ("a 22-year-old police officer") is no span of time.
        if let (Some(n), "year") = (number(t), key(i + 1))
            && toks.get(i + 1).is_some_and(|x| x.hyphen_before)
            && !(key(i + 2) == "old" && toks.get(i + 2).is_some_and(|x| x.hyphen_before))
        {
            out.push(TimeExpr { start: i, end: i + 2, kind: TimeKind::YearsBack(n) });
            i += 2;
            continue;
        }
        // "for (more than) three years", "over the past two decades".
        if matches!(t.key.as_str(), "for" | "over") {
            let mut j = i + 1;
            while matches!(key(j), "more" | "than" | "nearly" | "almost" | "about" | "over" | "the" | "past" | "last") {
                j += 1;
            }
            if let Some(n) = toks.get(j).and_then(number) {
                let scale = match key(j + 1) {
                    "years" | "year" => Some(1),
                    "decades" | "decade" => Some(10),
                    _ => None,
                };
                if let Some(sc) = scale {
                    out.push(TimeExpr { start: i, end: j + 2, kind: TimeKind::YearsBack(n * sc) });
                    i = j + 2;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

/// Resolves an expression to a date and precision. `reference` is the date of the previous dated
/// event of the document ("a day earlier" counts from it); `direction` says whether the event is
/// an announced future one.
pub(crate) fn resolve(
    kind: &TimeKind,
    published: Date,
    reference: Date,
    direction: Direction,
) -> Option<(Date, DatePrecision)> {
    let (py, pm, _) = published.ymd();
    let future = direction == Direction::Future;
    Some(match *kind {
        TimeKind::MonthDay { month, day, year } => {
            let y = match year {
                Some(y) => y,
                None => {
                    let this = Date::from_ymd(py, month, day)?;
                    // Past events: the last such day on or before publication (within a week's
                    // slack for "on May 19" in a story of May 18); future ones the next.
                    if future {
                        if this >= published { py } else { py + 1 }
                    } else if this <= published.add_days(7) {
                        py
                    } else {
                        py - 1
                    }
                }
            };
            (Date::from_ymd(y, month, day)?, DatePrecision::Day)
        }
        TimeKind::Month { month, year } => {
            let y = year.unwrap_or(if future {
                if month >= pm { py } else { py + 1 }
            } else if month <= pm {
                py
            } else {
                py - 1
            });
            (Date::from_ymd(y, month, 1)?, DatePrecision::Month)
        }
        TimeKind::Year(y) | TimeKind::Since(y) => (Date::from_ymd(y, 1, 1)?, DatePrecision::Year),
        TimeKind::Weekday(w) => {
            let pw = published.weekday() as i32;
            let delta = if future { (w as i32 - pw).rem_euclid(7) } else { -((pw - w as i32).rem_euclid(7)) };
            (published.add_days(delta), DatePrecision::Day)
        }
        TimeKind::DayOffset(n) => (published.add_days(n), DatePrecision::Day),
        TimeKind::RelativeDays(n) => (reference.add_days(n), DatePrecision::Day),
        TimeKind::MonthOffset(n) => {
            let total = py * 12 + (pm as i32 - 1) + n;
            (Date::from_ymd(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)?, DatePrecision::Month)
        }
        TimeKind::WeekOffset(n) => {
            // The Monday of that week, to the day.
            let monday = published.add_days(-(published.weekday() as i32));
            (monday.add_days(7 * n), DatePrecision::Day)
        }
        TimeKind::YearOffset(n) => (Date::from_ymd(py + n, 1, 1)?, DatePrecision::Year),
        TimeKind::YearsBack(n) => (Date::from_ymd(py - n, 1, 1)?, DatePrecision::Year),
        TimeKind::Recently => (published.month_start(), DatePrecision::Month),
    })
}

/// True for expressions that mark background ("since 2017", "throughout the 12-year war").
pub(crate) fn is_background(kind: &TimeKind) -> bool {
    matches!(kind, TimeKind::Since(_) | TimeKind::YearsBack(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::tokenize;

    fn when(text: &str, published: &str, future: bool) -> Option<(String, DatePrecision)> {
        let toks = tokenize(text);
        let p = Date::parse(published).ok()?;
        let e = find(&toks).into_iter().next()?;
        let dir = if future { Direction::Future } else { Direction::Past };
        resolve(&e.kind, p, p, dir).map(|(d, pr)| (d.to_string(), pr))
    }

    #[test]
    fn resolves_against_the_publication_date() {
        use DatePrecision::*;
        let p = "2023-05-11"; // a Thursday
        assert_eq!(when("the summit on May 19", p, true), Some(("2023-05-19".into(), Day)));
        assert_eq!(when("held in December between", p, false), Some(("2022-12-01".into(), Month)));
        assert_eq!(when("last month", p, false), Some(("2023-04-01".into(), Month)));
        assert_eq!(when("on Tuesday", p, false), Some(("2023-05-09".into(), Day)));
        assert_eq!(when("on Tuesday", p, true), Some(("2023-05-16".into(), Day)));
        assert_eq!(when("in 2016", p, false), Some(("2016-01-01".into(), Year)));
        assert_eq!(when("since 2017", p, false), Some(("2017-01-01".into(), Year)));
        assert_eq!(when("throughout the 12-year civil war", p, false), Some(("2011-01-01".into(), Year)));
        assert_eq!(when("for more than three years", p, false), Some(("2020-01-01".into(), Year)));
        assert_eq!(when("the 22-year-old police officer", p, false), None);
        assert_eq!(when("on 9 July 2018", p, false), Some(("2018-07-09".into(), Day)));
        assert_eq!(when("yesterday", p, false), Some(("2023-05-10".into(), Day)));
        let toks = tokenize("a day earlier");
        let e = find(&toks);
        let r = Date::parse("2023-02-27").ok();
        assert_eq!(
            r.and_then(|r| resolve(&e[0].kind, r, r, Direction::Past)).map(|x| x.0.to_string()).as_deref(),
            Some("2023-02-26")
        );
        // "may" the verb is not a month.
        assert!(find(&tokenize("Turkey may attack")).is_empty());
    }
}
