//! The negotiation models for Python: scenarios cross as plain lists of dicts (issues and
//! stances), answers come back as the core's rows, which the façade (`detente/negotiation.py`)
//! turns into pyarrow tables. Each function converts, runs one core model, and converts back.

use crate::convert::{py_value, to_pyerr};
use detente_core::negotiation::{
    self as n, ExchangeOptions, Issue, NegotiationModel, Perturbation, SalienceScale, Scenario, Stance,
};
use detente_core::{Error as CoreError, Result as CoreResult};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// An issue as Python gives it: `{"id", "label", "min", "max", "anchors": [(at, label)]}`.
#[derive(FromPyObject)]
pub(crate) struct PyIssue {
    #[pyo3(item)]
    id: String,
    #[pyo3(item)]
    label: String,
    #[pyo3(item)]
    min: f64,
    #[pyo3(item)]
    max: f64,
    #[pyo3(item)]
    anchors: Vec<(f64, String)>,
}

/// A stance as Python gives it: `{"actor", "issue", "position", "salience", "capability"}`.
#[derive(FromPyObject)]
pub(crate) struct PyStance {
    #[pyo3(item)]
    actor: String,
    #[pyo3(item)]
    issue: String,
    #[pyo3(item)]
    position: f64,
    #[pyo3(item)]
    salience: f64,
    #[pyo3(item)]
    capability: f64,
}

pub(crate) fn scenario(issues: Vec<PyIssue>, stances: Vec<PyStance>, salience_scale: &str) -> CoreResult<Scenario> {
    let issues = issues
        .into_iter()
        .map(|i| Issue { id: i.id, label: i.label, min: i.min, max: i.max, anchors: i.anchors })
        .collect();
    let stances = stances
        .into_iter()
        .map(|s| Stance {
            actor: s.actor,
            issue: s.issue,
            position: s.position,
            salience: s.salience,
            capability: s.capability,
        })
        .collect();
    Scenario::with_salience_scale(issues, stances, SalienceScale::named(salience_scale)?)
}

/// A scenario as the dict the façade holds (salience as fractions).
fn scenario_dict<'py>(py: Python<'py>, s: &Scenario) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let issues = PyList::empty(py);
    for i in s.issues() {
        let item = PyDict::new(py);
        item.set_item("id", &i.id)?;
        item.set_item("label", &i.label)?;
        item.set_item("min", i.min)?;
        item.set_item("max", i.max)?;
        item.set_item("anchors", i.anchors.clone())?;
        issues.append(item)?;
    }
    let stances = PyList::empty(py);
    for st in s.stances() {
        let item = PyDict::new(py);
        item.set_item("actor", &st.actor)?;
        item.set_item("issue", &st.issue)?;
        item.set_item("position", st.position)?;
        item.set_item("salience", st.salience)?;
        item.set_item("capability", st.capability)?;
        stances.append(item)?;
    }
    d.set_item("issues", issues)?;
    d.set_item("stances", stances)?;
    Ok(d)
}

/// Named lists of rows as a dict of lists of dicts.
fn tables<'py>(py: Python<'py>, named: Vec<(&str, Vec<serde_json::Value>)>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, rows) in named {
        d.set_item(name, py_value(py, &serde_json::Value::Array(rows))?)?;
    }
    Ok(d)
}

/// Reads a scenario file's text (Decide's format, a long table or an actor table).
#[pyfunction]
#[pyo3(signature = (text, name, salience_scale, issue=None, scale=None))]
pub(crate) fn read_scenario<'py>(
    py: Python<'py>,
    text: &str,
    name: &str,
    salience_scale: &str,
    issue: Option<&str>,
    scale: Option<(f64, f64)>,
) -> PyResult<Bound<'py, PyDict>> {
    let s = SalienceScale::named(salience_scale)
        .and_then(|unit| n::read_scenario(text, name, unit, issue, scale))
        .map_err(to_pyerr)?;
    scenario_dict(py, &s)
}

/// A scenario shipped with detente.
#[pyfunction]
pub(crate) fn example_scenario<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
    scenario_dict(py, &n::example_scenario(name).map_err(to_pyerr)?)
}

/// Checks a scenario and gives it back with salience as fractions.
#[pyfunction]
pub(crate) fn check_scenario<'py>(
    py: Python<'py>,
    issues: Vec<PyIssue>,
    stances: Vec<PyStance>,
    salience_scale: &str,
) -> PyResult<Bound<'py, PyDict>> {
    scenario_dict(py, &scenario(issues, stances, salience_scale).map_err(to_pyerr)?)
}

/// The scenario in Decide's input format.
#[pyfunction]
pub(crate) fn write_decide(issues: Vec<PyIssue>, stances: Vec<PyStance>) -> PyResult<String> {
    Ok(n::write_decide(&scenario(issues, stances, "fraction").map_err(to_pyerr)?))
}

/// Every issue's baselines.
#[pyfunction]
pub(crate) fn baselines<'py>(
    py: Python<'py>,
    issues: Vec<PyIssue>,
    stances: Vec<PyStance>,
) -> PyResult<Bound<'py, PyAny>> {
    let s = scenario(issues, stances, "fraction").map_err(to_pyerr)?;
    py_value(py, &serde_json::Value::Array(n::baseline_rows(&n::baselines(&s))))
}

/// The expected-utility model: rounds, trajectory, offers, matrices, info and the forecast.
#[pyfunction]
#[pyo3(signature = (issues, stances, issue=None, profile="scholz2011_code", options=Vec::new()))]
pub(crate) fn run_eum<'py>(
    py: Python<'py>,
    issues: Vec<PyIssue>,
    stances: Vec<PyStance>,
    issue: Option<&str>,
    profile: &str,
    options: Vec<(String, String)>,
) -> PyResult<Bound<'py, PyDict>> {
    let s = scenario(issues, stances, "fraction").map_err(to_pyerr)?;
    let run = py.detach(|| n::run_eum_named(&s, issue, profile, &options)).map_err(to_pyerr)?;
    let model = run.model();
    let d = tables(
        py,
        vec![
            ("rounds", n::eum_round_rows(&run)),
            ("trajectory", n::eum_trajectory_rows(&run)),
            ("offers", n::eum_offer_rows(&run)),
            ("matrices", n::eum_matrix_rows(&run)),
            ("info", n::run_info_rows(&model, None)),
        ],
    )?;
    d.set_item("forecast", run.forecast)?;
    d.set_item("issue", &run.issue)?;
    d.set_item("actors", run.actors.clone())?;
    Ok(d)
}

/// One actor's perspective chart in one round of an expected-utility run.
#[pyfunction]
#[pyo3(signature = (issues, stances, actor, round, issue=None, profile="scholz2011_code", options=Vec::new()))]
pub(crate) fn eum_perspective<'py>(
    py: Python<'py>,
    issues: Vec<PyIssue>,
    stances: Vec<PyStance>,
    actor: &str,
    round: usize,
    issue: Option<&str>,
    profile: &str,
    options: Vec<(String, String)>,
) -> PyResult<Bound<'py, PyAny>> {
    let s = scenario(issues, stances, "fraction").map_err(to_pyerr)?;
    let rows = py
        .detach(|| {
            let run = n::run_eum_named(&s, issue, profile, &options)?;
            Ok::<_, CoreError>(n::perspective_rows(&run.perspective(actor, round)?))
        })
        .map_err(to_pyerr)?;
    py_value(py, &serde_json::Value::Array(rows))
}

/// The exchange model: outcomes, exchanges, externalities, info and the final outcomes.
#[pyfunction]
#[pyo3(signature = (issues, stances, rounds=10, decide_seed=None))]
pub(crate) fn run_exchange<'py>(
    py: Python<'py>,
    issues: Vec<PyIssue>,
    stances: Vec<PyStance>,
    rounds: usize,
    decide_seed: Option<u64>,
) -> PyResult<Bound<'py, PyDict>> {
    let s = scenario(issues, stances, "fraction").map_err(to_pyerr)?;
    let options = ExchangeOptions::with(rounds, decide_seed);
    let run = py.detach(|| n::run_exchange(&s, &options)).map_err(to_pyerr)?;
    let d = tables(
        py,
        vec![
            ("outcomes", n::exchange_outcome_rows(&run)),
            ("exchanges", n::exchange_rows(&run)),
            ("externalities", n::externality_rows(&run)),
            ("info", n::run_info_rows(&run.model(), None)),
        ],
    )?;
    d.set_item("final", run.issues.iter().cloned().zip(run.outcomes.iter().copied()).collect::<Vec<_>>())?;
    Ok(d)
}

/// A seeded Monte Carlo of either model: the summary per issue, every draw, and info.
#[pyfunction]
#[pyo3(signature = (issues, stances, model, draws, seed, salience_sd, capability_sd, dropout, issue=None,
    profile="scholz2011_code", options=Vec::new(), rounds=10, decide_seed=None))]
pub(crate) fn monte_carlo<'py>(
    py: Python<'py>,
    issues: Vec<PyIssue>,
    stances: Vec<PyStance>,
    model: &str,
    draws: usize,
    seed: u64,
    salience_sd: f64,
    capability_sd: f64,
    dropout: f64,
    issue: Option<&str>,
    profile: &str,
    options: Vec<(String, String)>,
    rounds: usize,
    decide_seed: Option<u64>,
) -> PyResult<Bound<'py, PyDict>> {
    let s = scenario(issues, stances, "fraction").map_err(to_pyerr)?;
    let p = Perturbation { draws, seed, salience_sd, capability_sd, dropout };
    let mc = py
        .detach(|| {
            let exchange = ExchangeOptions::with(rounds, decide_seed);
            let which = NegotiationModel::named(model, &s, issue, profile, &options, exchange)?;
            n::monte_carlo(&s, &which, &p)
        })
        .map_err(to_pyerr)?;
    let d = tables(py, vec![("summary", n::monte_carlo_rows(&mc)), ("info", n::run_info_rows(&mc.model, Some(&p)))])?;
    let per_issue = PyDict::new(py);
    for o in &mc.outcomes {
        per_issue.set_item(&o.issue, o.draws.clone())?;
    }
    d.set_item("draws", per_issue)?;
    Ok(d)
}
