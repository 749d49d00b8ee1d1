package bench

// Set sets s from its name (ParseStamp), so that a flag can take it
// (flag.FlagSet.Func).
func (s *Stamp) Set(name string) error {
	v, err := ParseStamp(name)
	if err == nil {
		*s = v
	}
	return err
}

// SubRecorder is the latency recorder of bbox sub's n subscriber
// threads. With a Path it is cfg's, writing its log (OpenSubLatency).
// Without one there is no log (nil), and the recorder, which serves the
// subscriber's summary alone, measures from the send time: cfg's From,
// Warmup and Interval shape the log only.
func SubRecorder(cfg SubLatencyConfig, n int) (*Recorder, *LatencyLog, error) {
	if cfg.Path == "" {
		return NewRecorder(n, FromSend), nil, nil
	}
	return OpenSubLatency(cfg, n)
}
