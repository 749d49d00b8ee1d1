package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/bbox-dev/bbox/internal/buildinfo"
)

// NewRegistry returns a registry with the Go runtime and process
// collectors and bbox_build_info, labelled with the command that serves it.
func NewRegistry(command string) *prometheus.Registry {
	r := prometheus.NewRegistry()
	in := buildinfo.Get()
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "build_info",
			Help:        "Build information of the running bbox (value 1).",
			ConstLabels: prometheus.Labels{"version": in.Version, "revision": in.Revision, "goversion": in.Go, "command": command},
		}, func() float64 { return 1 }),
	)
	return r
}
