package tuning

// Log writes what SetupBox did to logf as a command reports it: the
// plan's line (String), then a "warning: " line for each warning.
func (p BoxPlan) Log(logf func(format string, args ...any)) {
	logf("%s", p)
	logWarnings(logf, p.Warnings)
}

// LogWarnings writes a "warning: " line for each of p's warnings to logf:
// the report of a plan that is only checked (PlanBox), not applied.
func (p CorePlan) LogWarnings(logf func(format string, args ...any)) {
	logWarnings(logf, p.Warnings)
}

func logWarnings(logf func(format string, args ...any), warnings []string) {
	for _, w := range warnings {
		logf("warning: %s", w)
	}
}
