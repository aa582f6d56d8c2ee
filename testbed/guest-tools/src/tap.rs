//! A TAP writer: the plan comes last ("1..N"), which TAP allows.

#[derive(Default)]
pub struct Tap {
    n: usize,
}

impl Tap {
    pub fn ok(&mut self, pass: bool, desc: &str) {
        self.n += 1;
        let desc = desc.replace('\n', " ");
        if pass {
            println!("ok {} - {desc}", self.n);
        } else {
            println!("not ok {} - {desc}", self.n);
        }
    }

    /// A test whose outcome is described by `detail` when it fails.
    pub fn check(&mut self, pass: bool, desc: &str, detail: impl FnOnce() -> String) {
        self.ok(pass, desc);
        if !pass {
            self.diag(&detail());
        }
    }

    /// A test that could not run here, counted as skipped (never passed).
    pub fn skip(&mut self, desc: &str, why: &str) {
        self.n += 1;
        println!("ok {} - {} # SKIP {}", self.n, desc.replace('\n', " "), why);
    }

    pub fn diag(&self, text: &str) {
        for line in text.lines() {
            println!("# {line}");
        }
    }

    pub fn finish(&self) {
        println!("1..{}", self.n);
    }
}
