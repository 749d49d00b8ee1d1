package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/bbox-dev/bbox/shard"
)

// MaxPeers bounds the per-peer series of one shard: live connections past
// it are counted in the shard's totals only.
const MaxPeers = 64

var (
	shardL  = []string{"shard"}
	peerL   = []string{"shard", "peer"}
	reasonL = []string{"shard", "reason"}
)

func itoa(i int) string { return strconv.Itoa(i) }

// pubView is a publisher snapshot with the per-shard sums the families
// read, computed once per scrape.
type pubView struct {
	shard.PubStats
	conns []connSum // by shard: every connection, open and closed
	live  [][]shard.ConnStats
}

type connSum struct{ frames, records, bytes, dropBytes, hwm, blockedMs, queued int64 }

// Publisher collects a publisher's counters from stats (shard.Publisher's
// Stats) at each scrape.
func Publisher(stats func() shard.PubStats) prometheus.Collector {
	var rs reasons
	view := func() pubView {
		v := pubView{PubStats: stats()}
		n := len(v.Shards)
		v.conns, v.live = make([]connSum, n), make([][]shard.ConnStats, n)
		for _, c := range v.Conns {
			if c.Shard < 0 || c.Shard >= n {
				continue
			}
			s := &v.conns[c.Shard]
			s.frames += c.Frames
			s.records += c.Records
			s.bytes += c.Bytes
			s.dropBytes += c.DroppedBytes
			s.hwm += c.HWMEvents
			s.blockedMs += c.BlockedMs
			if c.CloseReason == zmqx.Open { // live, by the typed state rather than its text
				s.queued += c.QueuedBytes
				v.live[c.Shard] = append(v.live[c.Shard], c)
			}
		}
		return v
	}
	perShard := func(name, help string, typ prometheus.ValueType, f func(v *pubView, i int) float64) family[pubView] {
		return labelled(name, help, typ, shardL, func(v *pubView, e emit) {
			for i := range v.Shards {
				e(f(v, i), itoa(i))
			}
		})
	}
	perPeer := func(name, help string, typ prometheus.ValueType, f func(c *shard.ConnStats) float64) family[pubView] {
		return labelled(name, help, typ, peerL, func(v *pubView, e emit) {
			for sh, cs := range v.live {
				for i := range cs[:min(len(cs), MaxPeers)] {
					e(f(&cs[i]), itoa(sh), itoa(i))
				}
			}
		})
	}
	C, G := prometheus.CounterValue, prometheus.GaugeValue
	return newSnapCollector(view, nil, []family[pubView]{
		// Publisher-wide (shard.PubStats).
		counter("pub_records_total", "Records published (stamped and sequenced).", func(v *pubView) int64 { return v.Records }),
		counter("pub_frames_total", "Batch frames encoded.", func(v *pubView) int64 { return v.Frames }),
		counter("pub_bytes_total", "Bytes of encoded frames, before fan-out.", func(v *pubView) int64 { return v.Bytes }),
		counter("pub_records_too_large_total", "Records refused for not fitting a frame.", func(v *pubView) int64 { return v.TooLarge }),
		gauge("pub_slow_consumers", "Subscribers currently over their high-water mark.", func(v *pubView) float64 { return float64(v.SlowConsumers) }),
		// Per shard (shard.ShardPubStats).
		perShard("pub_shard_records_total", "Records published on the shard.", C, func(v *pubView, i int) float64 { return float64(v.Shards[i].Records) }),
		perShard("pub_subscribers", "Subscribers connected to the shard's endpoint.", G, func(v *pubView, i int) float64 { return float64(v.Shards[i].Subscribers) }),
		perShard("pub_refused_total", "Peers or frames the endpoint's guard refused (oversize frames, not ZMTP, other).", C, func(v *pubView, i int) float64 { return float64(v.Shards[i].Refused) }),
		perShard("pub_refused_oversize_total", "Frames refused for exceeding --max-frame.", C, func(v *pubView, i int) float64 { return float64(v.Shards[i].Oversize) }),
		perShard("pub_refused_not_zmtp_total", "Connections refused for not speaking ZMTP.", C, func(v *pubView, i int) float64 { return float64(v.Shards[i].NotZMTP) }),
		perShard("pub_sockbuf_capped_total", "Socket buffer requests the kernel cut down.", C, func(v *pubView, i int) float64 { return float64(v.Shards[i].SockBufCapped) }),
		// Per shard, summed over its connections, open and closed (shard.ConnStats).
		perShard("pub_sent_records_total", "Records written to the shard's subscribers (each copy counts).", C, func(v *pubView, i int) float64 { return float64(v.conns[i].records) }),
		perShard("pub_sent_frames_total", "Frames written to the shard's subscribers.", C, func(v *pubView, i int) float64 { return float64(v.conns[i].frames) }),
		perShard("pub_sent_bytes_total", "Bytes written to the shard's subscribers.", C, func(v *pubView, i int) float64 { return float64(v.conns[i].bytes) }),
		// Exact over every connection the shard has had (the listed
		// history is bounded, so these come from the shard's own totals).
		perShard("pub_hwm_dropped_records_total", "Records dropped at a subscriber's high-water mark.", C, func(v *pubView, i int) float64 { return float64(v.Shards[i].DroppedRecords) }),
		perShard("pub_hwm_dropped_frames_total", "Frames dropped at a subscriber's high-water mark.", C, func(v *pubView, i int) float64 { return float64(v.Shards[i].DroppedFrames) }),
		perShard("pub_discarded_records_total", "Records still queued for (or mid-write to) a connection when it was cut or closed.", C, func(v *pubView, i int) float64 { return float64(v.Shards[i].DiscardedRecords) }),
		perShard("pub_discarded_frames_total", "Frames still queued for (or mid-write to) a connection when it was cut or closed.", C, func(v *pubView, i int) float64 { return float64(v.Shards[i].DiscardedFrames) }),
		perShard("pub_discarded_bytes_total", "Bytes still queued for (or mid-write to) a connection when it was cut or closed.", C, func(v *pubView, i int) float64 { return float64(v.Shards[i].DiscardedBytes) }),
		perShard("pub_connections_cut_total", "Connections the publisher cut off (stuck, failed write, over the high-water mark).", C, func(v *pubView, i int) float64 { return float64(v.Shards[i].ConnectionsCut) }),
		perShard("pub_hwm_dropped_bytes_total", "Bytes dropped at a subscriber's high-water mark.", C, func(v *pubView, i int) float64 { return float64(v.conns[i].dropBytes) }),
		perShard("pub_hwm_events_total", "Times a subscriber reached its high-water mark.", C, func(v *pubView, i int) float64 { return float64(v.conns[i].hwm) }),
		perShard("pub_blocked_seconds_total", "Time the publisher waited for slow subscribers (--slow block).", C, func(v *pubView, i int) float64 { return float64(v.conns[i].blockedMs) / 1e3 }),
		perShard("pub_queued_bytes", "Bytes queued for the shard's live subscribers.", G, func(v *pubView, i int) float64 { return float64(v.conns[i].queued) }),
		labelled("pub_connections_closed_total", "Subscriber connections closed, by reason (stuck, write_failed, closed...).", C, reasonL, func(v *pubView, e emit) {
			for sh := range v.Shards {
				for r, n := range v.Shards[sh].Closed {
					e(float64(n), itoa(sh), rs.label(r))
				}
			}
		}),
		// Per live peer: peer is its position among the shard's live connections (0 oldest).
		perPeer("pub_peer_records_total", "Records written to this live subscriber.", C, func(c *shard.ConnStats) float64 { return float64(c.Records) }),
		perPeer("pub_peer_bytes_total", "Bytes written to this live subscriber.", C, func(c *shard.ConnStats) float64 { return float64(c.Bytes) }),
		perPeer("pub_peer_hwm_dropped_records_total", "Records dropped at this live subscriber's high-water mark.", C, func(c *shard.ConnStats) float64 { return float64(c.DroppedRecords) }),
		perPeer("pub_peer_queued_bytes", "Bytes queued for this live subscriber.", G, func(c *shard.ConnStats) float64 { return float64(c.QueuedBytes) }),
		labelled("pub_peer_info", "Maps a live peer slot to its remote address (value 1).", G, []string{"shard", "peer", "remote"}, func(v *pubView, e emit) {
			for sh, cs := range v.live {
				for i := range cs[:min(len(cs), MaxPeers)] {
					e(1, itoa(sh), itoa(i), cs[i].Peer)
				}
			}
		}),
	})
}
