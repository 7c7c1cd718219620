#!/usr/bin/env node
// @lodestar/params fixes its preset when first imported, so the minimal network's preset must be
// chosen before anything loads it.
import { presetForArgs } from "../dist/src/config/preset.js";

const preset = presetForArgs(process.argv.slice(2), process.env);
if (preset !== undefined && process.env.LODESTAR_PRESET === undefined) process.env.LODESTAR_PRESET = preset;
await import("../dist/src/cli/main.js");
