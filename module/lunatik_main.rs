// SPDX-License-Identifier: GPL-2.0

//! lunatik-ng: the Lua engine for scripted pNFS layouts.

use kernel::prelude::*;

module! {
    type: Lunatik,
    name: "lunatik",
    author: "lunatik-ng developers",
    description: "Lua 5.4 engine for scripted pNFS layouts",
    license: "GPL",
}

struct Lunatik;

impl kernel::Module for Lunatik {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("lunatik-ng: engine loaded\n");
        Ok(Lunatik)
    }
}

impl Drop for Lunatik {
    fn drop(&mut self) {
        pr_info!("lunatik-ng: engine unloaded\n");
    }
}
