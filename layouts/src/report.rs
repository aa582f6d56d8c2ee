//! The simulator's outputs: a text table and an SVG plot of the load.

use std::fmt::Write as _;

use crate::sim::{balance, RunStats};

pub fn human(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.2} {}", units[u])
    }
}

/// The per-server table and the summary, as text.
pub fn table(st: &RunStats, weights: Option<&[u64]>, max_rows: usize) -> String {
    let mut out = String::new();
    let total: u64 = st.bytes.iter().sum::<u64>().max(1);
    let _ = writeln!(
        out,
        "{:>6} {:>7} {:>12} {:>14} {:>8}",
        "server", "weight", "files", "bytes", "share"
    );
    let n = st.bytes.len();
    for s in 0..n {
        if n > max_rows && s == max_rows / 2 {
            let _ = writeln!(out, "{:>6}", "...");
        }
        if n > max_rows && s >= max_rows / 2 && s < n - max_rows / 2 {
            continue;
        }
        let w = weights.and_then(|w| w.get(s)).copied().unwrap_or(1);
        let _ = writeln!(
            out,
            "{:>6} {:>7} {:>12} {:>14} {:>7.2}%",
            s + 1,
            w,
            st.files[s],
            human(st.bytes[s]),
            st.bytes[s] as f64 * 100.0 / total as f64
        );
    }
    out
}

pub fn summary(
    st: &RunStats,
    files: u64,
    instructions: u64,
    movement: Option<(&str, f64, f64)>,
) -> String {
    let mut out = String::new();
    let (fmax, fcv) = balance(&st.files);
    let (bmax, bcv) = balance(&st.bytes);
    let mut ns = st.decision_ns.clone();
    let med = crate::sim::median(&mut ns);
    let _ = writeln!(out, "files: {files}, bytes: {}", human(st.total_bytes));
    let _ = writeln!(
        out,
        "balance of files: max/mean {fmax:.4}, coefficient of variation {fcv:.4}"
    );
    let _ = writeln!(
        out,
        "balance of bytes: max/mean {bmax:.4}, coefficient of variation {bcv:.4}"
    );
    if let Some((what, frac, ideal)) = movement {
        let _ = writeln!(
            out,
            "data moved when a server is {what}: {:.4}% of the bytes (ideal {:.4}%, ratio {:.3})",
            frac * 100.0,
            ideal * 100.0,
            if ideal > 0.0 { frac / ideal } else { 0.0 }
        );
    }
    let _ = writeln!(
        out,
        "cost per decision: median {med} ns, {instructions} Lua instructions"
    );
    let _ = writeln!(
        out,
        "decisions: {} by the policy, {} errors and {} rejected answers (nfsd's built-in layout)",
        st.outcomes.decided, st.outcomes.errors, st.outcomes.rejected
    );
    let _ = writeln!(out, "simulated in {:.2} s", st.elapsed.as_secs_f64());
    out
}

/// A bar chart of the bytes per server, with the mean as a line.
pub fn svg(st: &RunStats, title: &str) -> String {
    let n = st.bytes.len().max(1);
    let (w, h, left, bottom, top) = (900.0, 420.0, 90.0, 50.0, 40.0);
    let plot_w = w - left - 20.0;
    let plot_h = h - bottom - top;
    let max = *st.bytes.iter().max().unwrap_or(&1).max(&1) as f64;
    let mean = st.bytes.iter().sum::<u64>() as f64 / n as f64;
    let bar = plot_w / n as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="15">{}</text>"#,
        w / 2.0,
        escape(title)
    );
    for (i, &b) in st.bytes.iter().enumerate() {
        let bh = b as f64 / max * plot_h;
        let _ = writeln!(
            s,
            r##"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="#4a7ab5"><title>server {}: {}</title></rect>"##,
            left + i as f64 * bar,
            top + plot_h - bh,
            (bar * 0.85).max(0.5),
            bh,
            i + 1,
            human(b)
        );
    }
    let my = top + plot_h - mean / max * plot_h;
    let _ = writeln!(
        s,
        r##"<line x1="{left}" y1="{my:.2}" x2="{:.2}" y2="{my:.2}" stroke="#c0392b" stroke-dasharray="6 4"/>"##,
        left + plot_w
    );
    let _ = writeln!(
        s,
        r##"<text x="{:.2}" y="{:.2}" fill="#c0392b" text-anchor="end">mean {}</text>"##,
        w - 20.0,
        top - 8.0,
        human(mean as u64)
    );
    let _ = writeln!(
        s,
        r#"<line x1="{left}" y1="{top}" x2="{left}" y2="{:.2}" stroke="black"/>"#,
        top + plot_h
    );
    let _ = writeln!(
        s,
        r#"<line x1="{left}" y1="{:.2}" x2="{:.2}" y2="{:.2}" stroke="black"/>"#,
        top + plot_h,
        left + plot_w,
        top + plot_h
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.2}" y="{:.2}" text-anchor="end">{}</text>"#,
        left - 6.0,
        top + 4.0,
        human(max as u64)
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.2}" y="{:.2}" text-anchor="end">0</text>"#,
        left - 6.0,
        top + plot_h
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.2}" y="{:.2}" text-anchor="middle">data servers 1 to {n}</text>"#,
        left + plot_w / 2.0,
        h - 15.0
    );
    let _ = writeln!(s, "</svg>");
    s
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
