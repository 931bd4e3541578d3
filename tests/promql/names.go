// Package promql finds the metric names a PromQL expression selects — enough for the chart
// tests to check that dashboards and alert rules only query metrics the stack's scrape jobs
// produce (render tier) and that those series exist in a live Prometheus (e2e tier). It is a
// lexical scan, not a parser: promtool checks the syntax.
package promql

import (
	"regexp"
	"strings"
)

var (
	strLiteral = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	matchers   = regexp.MustCompile(`\{[^}]*\}`)
	grouping   = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	ranges     = regexp.MustCompile(`\[[^\]]*\]`)
	numbers    = regexp.MustCompile(`\b[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\b`)
	identifier = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	// keywords are PromQL's functions, aggregations and operators that look like names.
	keywords = map[string]bool{}
)

func init() {
	for _, k := range strings.Fields(`sum rate irate increase delta deriv max min avg count stddev stdvar quantile topk bottomk
		count_values group histogram_quantile vector scalar time abs absent absent_over_time ceil floor round clamp clamp_min
		clamp_max exp ln log2 log10 sqrt label_replace label_join sort sort_desc predict_linear changes resets timestamp
		avg_over_time min_over_time max_over_time sum_over_time count_over_time last_over_time
		and or unless bool offset inf nan`) {
		keywords[k] = true
	}
}

// MetricNames returns the metric names expr selects, in order of appearance (repeats kept).
// Grafana variables ($namespace) are ignored.
func MetricNames(expr string) []string {
	s := strLiteral.ReplaceAllString(expr, " ")
	s = matchers.ReplaceAllString(s, " ")
	s = grouping.ReplaceAllString(s, " ")
	s = ranges.ReplaceAllString(s, " ")
	s = numbers.ReplaceAllString(s, " ")
	var out []string
	for _, loc := range identifier.FindAllStringIndex(s, -1) {
		id := s[loc[0]:loc[1]]
		if keywords[strings.ToLower(id)] || (loc[0] > 0 && s[loc[0]-1] == '$') {
			continue
		}
		out = append(out, id)
	}
	return out
}
