use super::*;

const MINUTE: i64 = 60_000_000;
const DAY: i64 = 86_400_000_000;

fn bars(closes: &[f64], step: i64, start: i64) -> Vec<Bar> {
    closes
        .iter()
        .enumerate()
        .map(|(i, &c)| Bar {
            time: UnixMicros(start + i as i64 * step),
            open: c,
            high: c,
            low: c,
            close: c,
            volume: 0.0,
        })
        .collect()
}

fn curve(bars: &[Bar], values: &[f64]) -> Vec<EquityPoint> {
    bars.iter()
        .zip(values)
        .map(|(b, &e)| EquityPoint { time: b.time, equity: e, drawdown_pct: 0.0 })
        .collect()
}

fn trade(entry_bar: usize, exit_bar: usize, pnl: f64, ret: f64) -> ClosedTrade {
    ClosedTrade {
        lots: 1,
        entry_bar,
        exit_bar,
        entry_price: 1.0,
        exit_price: 1.0,
        pnl,
        ret,
        commission: 0.5,
    }
}

#[test]
fn drawdown_periods_run_between_peaks() {
    let values = [100.0, 90.0, 95.0, 100.0, 110.0, 99.0, 110.0, 110.0, 100.0];
    let b = bars(&values, MINUTE, 0);
    let mut eq = curve(&b, &values);
    let m = compute(&b, &mut eq, &[], 0);
    // Periods: bars 0-3 (deepest 10 %, 3 minutes), 4-6 (10 %, 2 minutes), 7-8 (to the end,
    // but with no bar in between: not counted, as in backtesting.py).
    assert!((m.max_drawdown_pct + 10.0).abs() < 1e-12);
    assert!((m.avg_drawdown_pct.unwrap() + 10.0).abs() < 1e-12);
    assert_eq!(m.max_drawdown_duration, Some(3 * MINUTE));
    assert_eq!(m.avg_drawdown_duration, Some(3 * MINUTE), "2.5 minutes rounded up to the minute");
    assert!((eq[1].drawdown_pct + 10.0).abs() < 1e-12 && eq[3].drawdown_pct == 0.0);
    assert!((m.equity_peak - 110.0).abs() < 1e-12);
}

#[test]
fn without_trades_the_trade_statistics_are_undefined() {
    let values = [100.0; 5];
    let b = bars(&values, MINUTE, 0);
    let m = compute(&b, &mut curve(&b, &values), &[], 0);
    assert_eq!(m.num_trades, 0);
    assert_eq!(m.exposure_time_pct, 0.0);
    assert_eq!(
        (
            m.win_rate_pct,
            m.best_trade_pct,
            m.avg_trade_pct,
            m.profit_factor,
            m.sqn,
            m.max_trade_duration
        ),
        (None, None, None, None, None, None)
    );
    assert_eq!(
        (m.max_drawdown_pct, m.avg_drawdown_pct, m.max_drawdown_duration),
        (0.0, None, None)
    );
    assert_eq!((m.return_ann_pct, m.sharpe_ratio), (None, None), "less than two days");
    assert_eq!(m.commissions, 0.0);
}

#[test]
fn trade_statistics() {
    let values = [100.0; 10];
    let b = bars(&values, MINUTE, 0);
    let trades = [trade(1, 3, 10.0, 0.10), trade(2, 5, -5.0, -0.05), trade(7, 7, 2.0, 0.02)];
    let m = compute(&b, &mut curve(&b, &values), &trades, 0);
    assert_eq!(m.num_trades, 3);
    assert!((m.exposure_time_pct - 60.0).abs() < 1e-12, "bars 1-5 and 7");
    assert!((m.win_rate_pct.unwrap() - 200.0 / 3.0).abs() < 1e-12);
    assert_eq!((m.best_trade_pct, m.worst_trade_pct), (Some(10.0), Some(-5.0)));
    assert!((m.profit_factor.unwrap() - 0.12 / 0.05).abs() < 1e-12);
    assert!((m.expectancy_pct.unwrap() - 7.0 / 3.0).abs() < 1e-12);
    let geometric = ((1.1f64 * 0.95 * 1.02).powf(1.0 / 3.0) - 1.0) * 100.0;
    assert!((m.avg_trade_pct.unwrap() - geometric).abs() < 1e-12);
    let pl = [10.0f64, -5.0, 2.0];
    let mu = pl.iter().sum::<f64>() / 3.0;
    let sd = (pl.iter().map(|p| (p - mu).powi(2)).sum::<f64>() / 2.0).sqrt();
    assert!((m.sqn.unwrap() - 3f64.sqrt() * mu / sd).abs() < 1e-12);
    assert_eq!(m.max_trade_duration, Some(3 * MINUTE));
    assert_eq!(m.avg_trade_duration, Some(2 * MINUTE), "5/3 minutes rounded up");
    assert_eq!(m.commissions, 1.5);
}

/// Equity that alternately gains 0.2 % and loses 0.05 % from one bar to the next.
fn zigzag(n: usize) -> Vec<f64> {
    let mut v = vec![100.0];
    for i in 1..n {
        let r = if i % 2 == 1 { 1.002 } else { 0.9995 };
        v.push(v[i - 1] * r);
    }
    v
}

#[test]
fn annualisation_counts_weekends_and_daily_returns() {
    // 2020-01-06 was a Monday. Daily bars every day (weekends included) vs weekdays only.
    let monday = 18_267 * DAY;
    let g = (1.002f64 * 0.9995).sqrt() - 1.0;
    let values = zigzag(31);
    let every_day = bars(&values, DAY, monday);
    let m = compute(&every_day, &mut curve(&every_day, &values), &[], 0);
    let annual = (1.0 + g).powf(365.0) - 1.0;
    assert!((m.return_ann_pct.unwrap() - annual * 100.0).abs() < 1e-9, "{:?}", m.return_ann_pct);
    let vol = m.volatility_ann_pct.unwrap();
    assert!(vol > 0.0 && (m.sharpe_ratio.unwrap() - annual * 100.0 / vol).abs() < 1e-9);
    let downside = (0.0005f64.powi(2) / 2.0).sqrt() * 365f64.sqrt();
    assert!((m.sortino_ratio.unwrap() - annual / downside).abs() < 1e-6);

    let weekdays: Vec<Bar> =
        every_day.iter().filter(|b| calendar::weekday(b.time.0) < 5).copied().collect();
    let values = zigzag(weekdays.len());
    let m = compute(&weekdays, &mut curve(&weekdays, &values), &[], 0);
    let g = {
        let r: Vec<f64> = values.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
        (r.iter().sum::<f64>() / r.len() as f64).exp() - 1.0
    };
    assert!((m.return_ann_pct.unwrap() - ((1.0 + g).powf(252.0) - 1.0) * 100.0).abs() < 1e-9);
    // CAGR counts calendar time instead.
    let years = (m.duration as f64 / DAY as f64) / 365.25;
    let cagr = ((values[values.len() - 1] / 100.0).powf(1.0 / years) - 1.0) * 100.0;
    assert!((m.cagr_pct.unwrap() - cagr).abs() < 1e-9);
}

#[test]
fn constant_growth_has_no_defined_sortino() {
    let values: Vec<f64> = (0..10).map(|i| 100.0 * 1.001f64.powi(i)).collect();
    let b = bars(&values, DAY, 18_267 * DAY);
    let m = compute(&b, &mut curve(&b, &values), &[], 0);
    assert_eq!(m.sortino_ratio, None, "no losing day: infinite");
}

#[test]
fn buy_and_hold_starts_at_the_warm_up_bar() {
    let closes = [50.0, 100.0, 110.0, 120.0];
    let b = bars(&closes, MINUTE, 0);
    let m = compute(&b, &mut curve(&b, &[1.0; 4]), &[], 1);
    assert!((m.buy_hold_return_pct - 20.0).abs() < 1e-12);
    let m = compute(&b, &mut curve(&b, &[1.0; 4]), &[], 99);
    assert_eq!(m.buy_hold_return_pct, 0.0, "a warm-up past the end counts from the last bar");
}
