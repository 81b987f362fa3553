//! The public dashboard (issue 10): pas-core's `dashboard` and `gaps` figures over the stored
//! registrations and providers, as JSON and as server-rendered SVG plots (plotters). Every
//! figure about persons obeys DOMAIN §11 (groups under 10 are not shown, with complementary
//! suppression) because pas-core suppresses it before it reaches this module: the dashboard,
//! the care gaps and `/stats`' registrations by status and waiting by tier go through one
//! table (`pas_core::dashboard::public_figures`), so that no difference between them reveals a
//! small group; `/stats` reads them from this module's snapshot.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use pas_core::dashboard::{Dashboard, PublicGap, public_figures};
use pas_core::gaps::{GapFacts, GapOptions, care_gaps_of};
use plotters::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{App, internal, timestamp};
use crate::error::Error;

/// Months of history on the timeline.
const MONTHS: u32 = 12;
/// Days of attachments whose waits are reported.
const WINDOW_DAYS: u32 = 90;

/// The dashboard's figures.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DashboardView {
    /// When computed (RFC 3339 UTC); figures are recomputed at most once per
    /// `--public-cache-secs` (default 60).
    pub computed_at: String,
    /// pas-core's dashboard: on the list and attached per month end, median waits by tier and
    /// community (suppressed figures are `null`; a community with no count shown is left out).
    #[schema(value_type = Object)]
    pub figures: Dashboard,
    /// Care gaps per community and `(all)`: waiting by tier against accepting providers and
    /// open places, monthly demand, months to clear (suppressed person figures are `null`).
    #[schema(value_type = Vec<Object>)]
    pub care_gaps: Vec<PublicGap>,
    /// `/stats`' figures from the same table (not part of this response).
    #[serde(skip)]
    pub(crate) registrations: Registrations,
}

/// Registrations by status and waiting by tier, suppressed with the dashboard.
#[derive(Debug, Default)]
pub(crate) struct Registrations {
    /// By status code, every status present.
    pub(crate) by_status: BTreeMap<String, Option<u64>>,
    /// By tier (`1`–`3`).
    pub(crate) waiting_by_tier: BTreeMap<String, Option<u64>>,
}

async fn compute(app: &App) -> Result<DashboardView, Error> {
    let now = app.clock.now();
    let as_of = now.date_naive();
    let mut conn = app.db.pool().acquire().await?;
    let (facts, waiting_tiers) = {
        let mut snapshot = app.public.snapshot.lock().await;
        let started = std::time::Instant::now();
        let read = snapshot.refresh(&app.db, &mut conn, now).await?;
        tracing::debug!(
            read,
            held = snapshot.len(),
            read_ms = started.elapsed().as_millis(),
            "dashboard snapshot"
        );
        snapshot.facts(as_of)
    };
    let providers = super::matching::match_providers(&mut conn).await?;
    let gaps = care_gaps_of(
        facts.iter().zip(&waiting_tiers).map(|(f, &waiting_tier)| GapFacts {
            registered_on: f.registered_at.date_naive(),
            waiting_tier,
            community: &f.community,
        }),
        &providers,
        &GapOptions::new(as_of),
    );
    let public = public_figures(&facts, &gaps, as_of, MONTHS, WINDOW_DAYS);
    Ok(DashboardView {
        computed_at: timestamp(now),
        figures: public.dashboard,
        care_gaps: public.care_gaps,
        registrations: Registrations {
            by_status: public
                .by_status
                .iter()
                .map(|(s, n)| (s.code().to_owned(), *n))
                .collect(),
            waiting_by_tier: (1..)
                .zip(public.waiting_by_tier)
                .map(|(t, n): (u8, _)| (t.to_string(), n))
                .collect(),
        },
    })
}

/// Fill the figures' snapshot once at start (a background task), so that the first visitor
/// does not wait for a read of every registration.
pub async fn warm(app: App) {
    let started = std::time::Instant::now();
    let warmed = async {
        let mut conn = app.db.pool().acquire().await?;
        let mut snapshot = app.public.snapshot.lock().await;
        snapshot.refresh(&app.db, &mut conn, app.clock.now()).await
    };
    match warmed.await {
        Ok(read) => tracing::info!(
            read,
            ms = started.elapsed().as_millis(),
            "public figures' snapshot filled"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "public figures' snapshot not filled at start (the first computation will)")
        }
    }
}

/// The public dashboard's figures (no login; DOMAIN §11 suppression applied).
#[utoipa::path(
    get,
    path = "/api/v1/dashboard",
    tag = "admin",
    responses((status = 200, description = "Figures", body = DashboardView))
)]
pub async fn figures(State(app): State<App>) -> Result<Json<Arc<DashboardView>>, Error> {
    Ok(Json(cached(&app).await?))
}

/// The figures, recomputed at most once per `--public-cache-secs` ([`crate::cache`]).
pub(crate) async fn cached(app: &App) -> Result<Arc<DashboardView>, Error> {
    app.public.dashboard.get_or_try(|| compute(app)).await
}

fn svg(body: String) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

const ON_LIST: RGBColor = RGBColor(11, 83, 148);
const ATTACHED: RGBColor = RGBColor(30, 107, 46);
const FONT: &str = "sans-serif";

/// `GET /dashboard/timeline.svg`: persons on the list and attached, per month end.
pub async fn timeline_svg(State(app): State<App>) -> Result<Response, Error> {
    let view = cached(&app).await?;
    Ok(svg(timeline(&view.figures).map_err(internal)?))
}

/// `GET /dashboard/waits.svg`: median days waiting and to attachment, per tier.
pub async fn waits_svg(State(app): State<App>) -> Result<Response, Error> {
    let view = cached(&app).await?;
    Ok(svg(waits(&view.figures).map_err(internal)?))
}

type Drawn = Result<String, Box<dyn std::error::Error>>;

fn timeline(d: &Dashboard) -> Drawn {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (720, 340)).into_drawing_area();
        root.fill(&WHITE)?;
        let points = &d.timeline;
        let top = points
            .iter()
            .flat_map(|p| [p.on_list, p.attached])
            .flatten()
            .max()
            .unwrap_or(0);
        let n = u32::try_from(points.len()).unwrap_or(0);
        let mut chart = ChartBuilder::on(&root)
            .caption("People on the list and attached (month ends)", (FONT, 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0u32..n.saturating_sub(1).max(1), 0u64..(top + top / 10).max(10))?;
        chart
            .configure_mesh()
            .x_labels(points.len())
            .x_label_formatter(&|i| {
                points
                    .get(*i as usize)
                    .map(|p| p.date.format("%b %Y").to_string())
                    .unwrap_or_default()
            })
            .y_desc("persons")
            .label_style((FONT, 12))
            .draw()?;
        for (pick, color, label) in [
            (
                (|p: &pas_core::dashboard::MonthPoint| p.on_list) as fn(&_) -> Option<u64>,
                ON_LIST,
                "on the list",
            ),
            (|p: &pas_core::dashboard::MonthPoint| p.attached, ATTACHED, "attached"),
        ] {
            // Suppressed months (under 10 persons) are gaps in the line, not zeros.
            let mut runs: Vec<Vec<(u32, u64)>> = vec![Vec::new()];
            for (i, p) in (0u32..).zip(points) {
                match pick(p) {
                    Some(v) => runs.last_mut().map_or((), |r| r.push((i, v))),
                    None => runs.push(Vec::new()),
                }
            }
            let mut first = true;
            for run in runs.into_iter().filter(|r| !r.is_empty()) {
                let series = chart.draw_series(LineSeries::new(run.clone(), color.stroke_width(3)).point_size(3))?;
                if first {
                    series
                        .label(label)
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3)));
                    first = false;
                }
            }
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.9))
            .label_font((FONT, 13))
            .draw()?;
        if top == 0 {
            root.draw(&Text::new(
                "Not shown: it would reveal a group under 10",
                (250, 170),
                (FONT, 15).into_font(),
            ))?;
        }
        root.present()?;
    }
    Ok(out)
}

fn waits(d: &Dashboard) -> Drawn {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (720, 340)).into_drawing_area();
        root.fill(&WHITE)?;
        let top = d
            .by_tier
            .iter()
            .flat_map(|g| [g.median_days_waiting, g.median_days_to_attach])
            .flatten()
            .fold(0.0f64, f64::max);
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Median days: waiting now, and until attached (last 90 days)",
                (FONT, 18),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0f64..3.0, 0.0f64..(top * 1.1).max(10.0))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            // Tiers are labelled inside the plot, above their bars.
            .x_label_formatter(&|_| String::new())
            .y_desc("days")
            .label_style((FONT, 12))
            .draw()?;
        for (i, g) in (0u32..).zip(&d.by_tier) {
            let x = f64::from(i);
            for (offset, value, color) in [
                (0.15, g.median_days_waiting, ON_LIST),
                (0.5, g.median_days_to_attach, ATTACHED),
            ] {
                if let Some(v) = value {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x + offset, 0.0), (x + offset + 0.3, v)],
                        color.filled(),
                    )))?;
                }
            }
            chart.draw_series(std::iter::once(Text::new(
                format!("tier {}", g.group),
                (x + 0.38, (top * 1.1).max(10.0) * 0.97),
                (FONT, 14).into_font(),
            )))?;
        }
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, 0.0), (0.0, 0.0)],
                ON_LIST.filled(),
            )))?
            .label("waiting now")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], ON_LIST.filled()));
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, 0.0), (0.0, 0.0)],
                ATTACHED.filled(),
            )))?
            .label("until attached")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], ATTACHED.filled()));
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.9))
            .label_font((FONT, 13))
            .draw()?;
        root.present()?;
    }
    Ok(out)
}
