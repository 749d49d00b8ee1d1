package shard

import "github.com/bbox-dev/bbox/alerts"

// Event is one alert (alerts.Event): what the publisher's fan-out reports
// about slow and cut-off subscribers through PubConfig.OnEvent. The alert
// stream itself is alerts.Pub.
type Event = alerts.Event
