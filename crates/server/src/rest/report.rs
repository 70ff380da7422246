//! A self-contained HTML report of a backtest: inline SVG charts, no script, no network.

use std::collections::BTreeMap;
use std::fmt::Write;

use aetherion_backtest::BacktestResult;
use aetherion_model::Side;
use aetherion_strategy::Bar;

const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 260.0;
/// Points drawn per line at most; longer series are thinned evenly.
const MAX_POINTS: usize = 2000;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An SVG polyline of `values` over `0..n`, scaled to the chart, with its min and max.
fn line(values: &[(usize, f64)], n: usize, color: &str) -> (String, f64, f64) {
    let lo = values.iter().map(|v| v.1).fold(f64::INFINITY, f64::min);
    let hi = values.iter().map(|v| v.1).fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let mut points = String::new();
    for (i, v) in values {
        let x = *i as f64 / (n.max(2) - 1) as f64 * WIDTH;
        let y = HEIGHT - (v - lo) / span * (HEIGHT - 10.0) - 5.0;
        let _ = write!(points, "{x:.1},{y:.1} ");
    }
    (format!(r#"<polyline fill="none" stroke="{color}" stroke-width="1.2" points="{points}"/>"#), lo, hi)
}

fn thin(n: usize) -> impl Iterator<Item = usize> {
    let step = n.div_ceil(MAX_POINTS).max(1);
    (0..n).step_by(step).chain((n > 0 && !(n - 1).is_multiple_of(step)).then_some(n - 1))
}

fn y_of(v: f64, lo: f64, hi: f64) -> f64 {
    let span = if hi > lo { hi - lo } else { 1.0 };
    HEIGHT - (v - lo) / span * (HEIGHT - 10.0) - 5.0
}

pub fn html(strategy: &str, params: &BTreeMap<String, f64>, bars: &[Bar], result: &BacktestResult) -> String {
    let n = bars.len();
    let closes: Vec<(usize, f64)> = thin(n).map(|i| (i, bars[i].close)).collect();
    let (price_line, lo, hi) = line(&closes, n, "#3b6ea5");
    let mut markers = String::new();
    for t in result.trades.iter().take(2000) {
        let (entry_x, exit_x) = (t.entry_bar as f64 / (n.max(2) - 1) as f64 * WIDTH, t.exit_bar as f64 / (n.max(2) - 1) as f64 * WIDTH);
        let color = if t.pnl >= 0.0 { "#2e8b57" } else { "#c0392b" };
        let (ey, xy) = (y_of(t.entry_price, lo, hi), y_of(t.exit_price, lo, hi));
        let shape = if t.side == Side::Buy { "&#9650;" } else { "&#9660;" };
        let _ = write!(
            markers,
            r#"<line x1="{entry_x:.1}" y1="{ey:.1}" x2="{exit_x:.1}" y2="{xy:.1}" stroke="{color}" stroke-width="1.5" stroke-dasharray="3,2"/><text x="{entry_x:.1}" y="{ey:.1}" font-size="9" fill="{color}" text-anchor="middle">{shape}</text>"#
        );
    }
    let equity: Vec<(usize, f64)> = thin(result.equity_curve.len()).map(|i| (i, result.equity_curve[i].equity)).collect();
    let (equity_line, elo, ehi) = line(&equity, result.equity_curve.len(), "#8e44ad");
    let object = crate::rest::backtests::result_json(result);
    let mut metrics = String::new();
    if let Some(m) = object["metrics"].as_object() {
        for (k, v) in m {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => "-".into(),
                other => other.to_string(),
            };
            let _ = write!(metrics, "<tr><td>{}</td><td>{}</td></tr>", escape(k), escape(&text));
        }
    }
    let mut trades = String::new();
    if let Some(list) = object["trades"].as_array() {
        for t in list.iter().take(500) {
            let cell = |k: &str| escape(&t[k].as_str().map_or_else(|| t[k].to_string(), str::to_owned));
            let _ = write!(
                trades,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                cell("side"), cell("size"), cell("entry_time"), cell("entry_price"), cell("exit_time"), cell("exit_price"), cell("pnl"), cell("return_pct")
            );
        }
    }
    let params_text: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>Backtest: {strategy}</title>
<style>body{{font-family:system-ui,sans-serif;margin:24px;color:#222}}svg{{background:#fafafa;border:1px solid #ddd}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ddd;padding:3px 8px;text-align:right}}td:first-child{{text-align:left}}</style></head>
<body><h1>{strategy}</h1><p>{params} &middot; {bars} bars &middot; {ntrades} trades</p>
<h2>Price and trades</h2><p>close from {lo:.4} to {hi:.4}; &#9650; long entries, &#9660; short entries, dashed to the exit (green won, red lost)</p>
<svg viewBox="0 0 {w} {h}" width="100%">{price_line}{markers}</svg>
<h2>Equity</h2><p>from {elo:.2} to {ehi:.2}</p><svg viewBox="0 0 {w} {h}" width="100%">{equity_line}</svg>
<h2>Metrics</h2><table>{metrics}</table>
<h2>Trades</h2><table><tr><th>side</th><th>size</th><th>entry</th><th>entry price</th><th>exit</th><th>exit price</th><th>pnl</th><th>return %</th></tr>{trades}</table>
</body></html>"#,
        strategy = escape(strategy),
        params = escape(&params_text.join(", ")),
        bars = n,
        ntrades = result.trades.len(),
        w = WIDTH,
        h = HEIGHT,
    )
}
