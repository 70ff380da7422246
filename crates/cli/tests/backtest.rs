//! `aetherion backtest` as a user runs it: the real binary on a CSV file.

use std::process::Command;

fn csv(n: usize) -> String {
    let mut text = String::from("timestamp,open,high,low,close,volume\n");
    let mut previous = 100.0f64;
    for i in 0..n {
        let close = 100.0 + 10.0 * (i as f64 / 40.0).sin();
        text.push_str(&format!("{},{previous:.4},{:.4},{:.4},{close:.4},10\n", 1_700_000_000 + i as i64 * 60, previous.max(close) + 0.5, previous.min(close) - 0.5));
        previous = close;
    }
    text
}

fn aetherion(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aetherion")).args(args).output().expect("the binary runs")
}

#[test]
fn json_table_and_html_report() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bars.csv");
    std::fs::write(&data, csv(3_000)).unwrap();
    let data = data.to_str().unwrap();

    let out = aetherion(&["backtest", "--data", data, "--strategy", "sma_crossover", "--param", "fast=5", "--param", "slow=20", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let trades = result["trades"].as_array().unwrap().len();
    assert!(trades > 10);
    assert_eq!(result["metrics"]["num_trades"].as_u64().unwrap() as usize, trades);
    let keys: Vec<&str> = result["metrics"].as_object().unwrap().keys().map(String::as_str).take(3).collect();
    assert_eq!(keys, ["start", "end", "duration"], "metrics in the contract's order");

    let report = dir.path().join("report.html");
    let out = aetherion(&["backtest", "--data", data, "--param", "fast=5", "--param", "slow=20", "--report", report.to_str().unwrap()]);
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("num_trades") && table.contains("sharpe_ratio"), "{table}");
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<svg") && html.contains("<polyline"), "charts are inline");
    assert!(!html.contains("http://") && !html.contains("https://"), "nothing is loaded from the network");

    let out = aetherion(&["backtest", "--data", data, "--param", "fast=50", "--param", "slow=20"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("fast"));
    std::fs::write(dir.path().join("bad.csv"), "timestamp,open,high,low,close\n1700000000,1,2,0.5,x\n").unwrap();
    let out = aetherion(&["backtest", "--data", dir.path().join("bad.csv").to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("close"), "{err}");
}
