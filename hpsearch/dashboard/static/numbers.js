// Numbers as the command line's tables write them (hpsearch/report/numbers.py's rules,
// which tests/dashboard/test_dashboard_browser.py compares with these): an accuracy to
// 4 decimals, a log-scale parameter in compact scientific form (3 significant digits:
// 2.47e-3), another float to 3 significant digits (0.132), seconds to 1 decimal, a
// training function's metric to 4 significant digits.
"use strict";

const MISSING = "-";

function compactExponent(text) {
  if (!text.includes("e")) return text;
  let [mantissa, exponent] = text.split("e");
  if (mantissa.includes(".")) mantissa = mantissa.replace(/0+$/, "").replace(/\.$/, "");
  const sign = exponent.startsWith("-") ? "-" : "";
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, "").replace(/^0+/, "") || "0"}`;
}

// Python's f"{value:.3g}": exponent form below 1e-4 or from 1e3 on.
function general(value, digits) {
  if (value === 0) return "0";
  const exponent = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(digits)))));
  if (exponent < -4 || exponent >= digits) return value.toExponential(digits - 1);
  const fixed = value.toFixed(Math.max(digits - 1 - exponent, 0));
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
}

// Python's f"{value:#.4g}" less a trailing ".": a training function's metric
// (numbers.metric: 0.1325, 1.25e-5).
function metric(value) {
  if (value === 0) return "0.000";
  const exponent = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(4)))));
  if (exponent < -4 || exponent >= 4) return compactExponent(value.toExponential(3));
  return value.toFixed(Math.max(3 - exponent, 0)).replace(/\.$/, "");
}

const FORMATTERS = {
  metric,
  accuracy: (v) => v.toFixed(4),
  scientific: (v) => (v === 0 ? "0" : compactExponent(v.toExponential(2))),
  significant: (v) => compactExponent(general(v, 3)),
  seconds: (v) => v.toFixed(1),
  integer: (v) => String(v),
  text: (v) => String(v),
};

// `value` written as numbers of `kind` are (one of FORMATTERS' keys); None is "-".
function formatNumber(value, kind) {
  if (value === null || value === undefined) return MISSING;
  if (typeof value !== "number") return String(value);
  return (FORMATTERS[kind] || FORMATTERS.text)(value);
}

window.hpsearchNumbers = { formatNumber };
