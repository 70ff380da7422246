//! The summary statistics of a run, each defined as backtesting.py 0.6's `compute_stats`
//! defines it (the crate documentation lists the definitions).

mod calendar;
mod numeric;

use aetherion_model::UnixMicros;
use aetherion_strategy::Bar;

use crate::broker::ClosedTrade;
use crate::result::{EquityPoint, Metrics};
use calendar::{Bin, ceil_to_us, data_period_ns, resolution_ns};
use numeric::{finite, geometric_mean, mean, np_sum, or_nan, var};

/// Computes the metrics and fills in each equity point's drawdown.
pub(crate) fn compute(
    bars: &[Bar],
    equity: &mut [EquityPoint],
    trades: &[ClosedTrade],
    warmup: usize,
) -> Metrics {
    let n = bars.len();
    let tail: Vec<i64> = bars[n.saturating_sub(100)..].iter().map(|b| b.time.0).collect();
    let period = data_period_ns(&tail);
    let unit = resolution_ns(period);
    let time = |i: usize| bars[i].time.0;
    let longest = |d: &[i64]| d.iter().max().map(|&us| ceil_to_us(us as i128 * 1_000, unit));
    let average = |d: &[i64]| {
        // pandas averages timedeltas as float nanoseconds.
        let ns: Vec<f64> = d.iter().map(|&us| us as f64 * 1_000.0).collect();
        finite(mean(&ns)).map(|ns| ceil_to_us(ns.round() as i128, unit))
    };

    let bin = bin_of(period);
    let dd = scan(equity, bin);
    let eq0 = equity[0].equity;
    let eq_final = equity[n - 1].equity;
    let (start, end) = (time(0), time(n - 1));
    let w = warmup.min(n - 1);
    let (c0, c1) = (bars[w].close, bars[n - 1].close);

    let daily = Annualised::new(bin, &dd, n);
    let duration = end - start;
    let years = (duration.div_euclid(86_400_000_000) as f64
        + (duration.rem_euclid(86_400_000_000) / 1_000_000) as f64 / 86_400.0)
        / 365.25;
    let cagr =
        if years != 0.0 { ((eq_final / eq0).powf(1.0 / years) - 1.0) * 100.0 } else { f64::NAN };

    let returns: Vec<f64> = trades.iter().map(|t| t.ret).collect();
    let pnl: Vec<f64> = trades.iter().map(|t| t.pnl).collect();
    let durations: Vec<i64> = trades.iter().map(|t| time(t.exit_bar) - time(t.entry_bar)).collect();
    let nt = trades.len();
    let (wins, gains, losses): (Vec<f64>, Vec<f64>, Vec<f64>) = (
        pnl.iter().copied().filter(|p| *p > 0.0).collect(),
        returns.iter().copied().filter(|r| *r > 0.0).collect(),
        returns.iter().copied().filter(|r| *r < 0.0).collect(),
    );
    let extreme = |f: fn(f64, f64) -> f64| returns.iter().copied().reduce(f).map(|x| x * 100.0);

    Metrics {
        start: UnixMicros(start),
        end: UnixMicros(end),
        duration,
        exposure_time_pct: exposure(trades, n) * 100.0,
        equity_final: eq_final,
        equity_peak: dd.peak,
        return_pct: (eq_final - eq0) / eq0 * 100.0,
        buy_hold_return_pct: (c1 - c0) / c0 * 100.0,
        return_ann_pct: finite(daily.annual * 100.0),
        volatility_ann_pct: finite(daily.volatility * 100.0),
        cagr_pct: finite(cagr),
        sharpe_ratio: finite(daily.annual * 100.0 / or_nan(daily.volatility * 100.0)),
        sortino_ratio: finite(daily.annual / daily.downside),
        calmar_ratio: finite(daily.annual / or_nan(dd.max_dd)),
        max_drawdown_pct: -dd.max_dd * 100.0,
        avg_drawdown_pct: finite(-dd.avg_dd * 100.0),
        max_drawdown_duration: longest(&dd.dd_durations),
        avg_drawdown_duration: average(&dd.dd_durations),
        num_trades: nt,
        win_rate_pct: (nt > 0).then(|| wins.len() as f64 / nt as f64 * 100.0),
        best_trade_pct: extreme(f64::max),
        worst_trade_pct: extreme(f64::min),
        avg_trade_pct: finite(geometric_mean(&returns) * 100.0),
        max_trade_duration: longest(&durations),
        avg_trade_duration: average(&durations),
        profit_factor: finite(np_sum(&gains) / or_nan(np_sum(&losses).abs())),
        expectancy_pct: finite(mean(&returns) * 100.0),
        sqn: finite((nt as f64).sqrt() * mean(&pnl) / or_nan(var(&pnl).sqrt())),
        commissions: trades.iter().map(|t| t.commission).sum(),
    }
}

/// The share of bars in which a (counted) trade was open, its entry and exit bars included.
fn exposure(trades: &[ClosedTrade], n: usize) -> f64 {
    let mut spans: Vec<(usize, usize)> = trades.iter().map(|t| (t.entry_bar, t.exit_bar)).collect();
    spans.sort_unstable();
    let (mut covered, mut next_free) = (0usize, 0usize);
    for (a, b) in spans {
        let a = a.max(next_free);
        if b + 1 > a {
            covered += b + 1 - a;
            next_free = b + 1;
        }
    }
    covered as f64 / n as f64
}

/// What one pass over the equity curve collects.
struct Scan {
    /// Highest equity.
    peak: f64,
    /// Largest drawdown as a positive fraction (NaNs ignored).
    max_dd: f64,
    /// Mean of the deepest point of each drawdown period (fraction).
    avg_dd: f64,
    /// Length of each drawdown period, in microseconds.
    dd_durations: Vec<i64>,
    /// Bars falling on a Saturday or Sunday (UTC).
    weekend_bars: usize,
    /// The last equity of each calendar bin.
    bin_last: Vec<f64>,
}

/// Drawdowns as backtesting.py's `compute_drawdown_duration_peaks` finds them: a drawdown
/// period runs between two bars at a running peak (drawdown exactly zero), or from the last
/// such bar to the end, and counts only when it spans at least one bar in between. Fills in
/// each point's `drawdown_pct` on the way, and the calendar bins of [`Annualised`].
fn scan(equity: &mut [EquityPoint], bin: Bin) -> Scan {
    let n = equity.len();
    let mut peak = f64::NEG_INFINITY;
    let mut max = f64::NAN;
    let (mut peaks, mut durations) = (Vec::new(), Vec::new());
    let (mut nonzero_sum, mut nonzero_count) = (0.0, 0usize);
    let mut last_zero: Option<usize> = None;
    let mut deepest = f64::NAN;
    let (mut weekend_bars, mut bin_last, mut current) = (0usize, Vec::new(), i64::MIN);
    for i in 0..n {
        let (time, value) = (equity[i].time.0, equity[i].equity);
        let day = calendar::day(time);
        weekend_bars += (calendar::weekday_of_day(day) >= 5) as usize;
        let key = if bin == Bin::Day { day } else { bin.key(time) };
        if key != current && i > 0 {
            bin_last.push(equity[i - 1].equity);
        }
        current = key;

        peak = peak.max(value);
        let dd = 1.0 - value / peak;
        equity[i].drawdown_pct = -dd * 100.0;
        max = max.max(dd);
        deepest = deepest.max(dd);
        if dd != 0.0 && !dd.is_nan() {
            nonzero_sum += dd;
            nonzero_count += 1;
        }
        if dd == 0.0 || i == n - 1 {
            if let Some(p) = last_zero
                && i > p + 1
            {
                peaks.push(deepest);
                durations.push(time - equity[p].time.0);
            }
            if dd == 0.0 {
                last_zero = Some(i);
                deepest = dd;
            }
        }
    }
    bin_last.push(equity[n - 1].equity);
    // Without any period backtesting.py averages the non-zero drawdowns and has no durations.
    let avg_dd = if peaks.is_empty() { nonzero_sum / nonzero_count as f64 } else { mean(&peaks) };
    Scan {
        peak,
        max_dd: if max.is_nan() { 0.0 } else { max },
        avg_dd,
        dd_durations: durations,
        weekend_bars,
        bin_last,
    }
}

/// The calendar bins of backtesting.py's returns, from the data period: weekly (ending
/// Sunday) for weekly data, month-end for monthly, year-end for yearly, days otherwise.
fn bin_of(period_ns: i128) -> Bin {
    match period_ns.div_euclid(86_400_000_000_000) {
        7 => Bin::Week,
        31 => Bin::Month,
        365 => Bin::Year,
        _ => Bin::Day,
    }
}

/// Annualised return, volatility and downside deviation from the returns between the last
/// equity values of consecutive calendar bins (backtesting.py's `day_returns`).
struct Annualised {
    annual: f64,
    volatility: f64,
    downside: f64,
}

impl Annualised {
    fn new(bin: Bin, scan: &Scan, bars: usize) -> Self {
        let have_weekends = scan.weekend_bars as f64 / bars as f64 > 2.0 / 7.0 * 0.6;
        let days_per_year = match bin {
            Bin::Week => 52.0,
            Bin::Month => 12.0,
            Bin::Year => 1.0,
            Bin::Day if have_weekends => 365.0,
            Bin::Day => 252.0,
        };
        let returns: Vec<f64> =
            scan.bin_last.windows(2).map(|w| w[1] / w[0] - 1.0).filter(|r| !r.is_nan()).collect();
        let g = geometric_mean(&returns);
        let annual = (1.0 + g).powf(days_per_year) - 1.0;
        let volatility = ((var(&returns) + (1.0 + g).powi(2)).powf(days_per_year)
            - (1.0 + g).powf(2.0 * days_per_year))
        .sqrt();
        let downside: Vec<f64> = returns.iter().map(|r| r.min(0.0).powi(2)).collect();
        let downside = mean(&downside).sqrt() * days_per_year.sqrt();
        Annualised { annual, volatility, downside }
    }
}

#[cfg(test)]
mod tests;
