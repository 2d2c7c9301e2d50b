//! The negotiation RPCs: Baselines, RunEum and RunExchange (streamed round by round) and
//! RunMonteCarlo. The models need no store: they run on the blocking pool like any core call.

use super::{Answer, BoxStream, Service};
use crate::convert::negotiation as c;
use crate::pb;
use crate::status::{Fields, status};
use detente_core::negotiation::{self as n, NegotiationModel};
use tonic::{Request, Response, Status};

/// The scenario's field paths live under `scenario`.
const SCENARIO: Fields = Fields::nested("scenario");

fn stream<T: Send + 'static>(messages: Vec<T>) -> BoxStream<T> {
    Box::pin(tokio_stream::iter(messages.into_iter().map(Ok::<T, Status>)))
}

pub(super) async fn baselines(service: &Service, req: Request<pb::BaselinesRequest>) -> Answer<pb::BaselinesResponse> {
    let s = c::scenario_from_pb(req.into_inner().scenario).map_err(|e| status(e, SCENARIO))?;
    let b = service.run(Fields::TOP, move |_| Ok(n::baselines(&s))).await?;
    Ok(Response::new(c::baselines_to_pb(&b)))
}

pub(super) async fn run_eum(
    service: &Service,
    req: Request<pb::RunEumRequest>,
) -> Answer<BoxStream<pb::RunEumResponse>> {
    let r = req.into_inner();
    let s = c::scenario_from_pb(r.scenario).map_err(|e| status(e, SCENARIO))?;
    let (issue, profile, options) = (r.issue, r.profile, c::options_list(r.options));
    let messages = service
        .run(Fields::TOP, move |_| {
            let run = n::run_eum_named(&s, c::unset_if_empty(&issue), c::profile_name(&profile), &options)?;
            Ok(c::eum_to_pb(&run, c::run_info(&run.model(), None)))
        })
        .await?;
    Ok(Response::new(stream(messages)))
}

pub(super) async fn run_exchange(
    service: &Service,
    req: Request<pb::RunExchangeRequest>,
) -> Answer<BoxStream<pb::RunExchangeResponse>> {
    let r = req.into_inner();
    let s = c::scenario_from_pb(r.scenario).map_err(|e| status(e, SCENARIO))?;
    let options = c::exchange_options(r.rounds, r.decide_seed).map_err(|e| status(e, Fields::TOP))?;
    let messages = service
        .run(Fields::TOP, move |_| {
            let run = n::run_exchange(&s, &options)?;
            Ok(c::exchange_to_pb(&run, c::run_info(&run.model(), None)))
        })
        .await?;
    Ok(Response::new(stream(messages)))
}

pub(super) async fn run_monte_carlo(
    service: &Service,
    req: Request<pb::RunMonteCarloRequest>,
) -> Answer<pb::RunMonteCarloResponse> {
    let r = req.into_inner();
    let p = c::perturbation(&r).map_err(|e| status(e, Fields::TOP))?;
    let exchange = c::exchange_options(r.rounds, r.decide_seed).map_err(|e| status(e, Fields::TOP))?;
    let s = c::scenario_from_pb(r.scenario).map_err(|e| status(e, SCENARIO))?;
    let (model, issue, profile, options) = (r.model, r.issue, r.profile, c::options_list(r.options));
    let answer = service
        .run(Fields::TOP, move |_| {
            let which = NegotiationModel::named(
                &model,
                &s,
                c::unset_if_empty(&issue),
                c::profile_name(&profile),
                &options,
                exchange,
            )?;
            let mc = n::monte_carlo(&s, &which, &p)?;
            let info = c::run_info(&mc.model, Some(&p));
            Ok(c::monte_carlo_to_pb(&mc, info))
        })
        .await?;
    Ok(Response::new(answer))
}
