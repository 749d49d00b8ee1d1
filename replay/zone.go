package replay

// Time zones of capture files: the IANA name stored in a file's metadata
// (docs/capture.md section 2), and where a command's zone came from.

import (
	"errors"
	"os"
	"strings"
	"time"
)

// ZoneNote says where the zone of times shown or read came from: flag (the
// --tz given, "" for none), else the file's metadata, else UTC.
func ZoneNote(flag string, meta map[string]string) string {
	switch {
	case flag != "":
		return "--tz " + flag
	case meta["tz"] != "":
		return meta["tz"] + ", the file's zone; --tz changes it"
	}
	return "UTC: the file names no zone; --tz sets one"
}

// SourceZone resolves the zone a recording is made in to the IANA name
// stored in the file: "" is UTC, and "Local" becomes this box's zone by
// name ($TZ, else /etc/localtime's link into the zone database), since a
// bare "Local" would mean another zone on the box that reads the file.
func SourceZone(name string) (string, error) {
	if name == "" || name == "UTC" {
		return "UTC", nil
	}
	if name == "Local" {
		name = strings.TrimPrefix(os.Getenv("TZ"), ":")
		if name == "" {
			if link, err := os.Readlink("/etc/localtime"); err == nil {
				if i := strings.Index(link, "zoneinfo/"); i >= 0 {
					name = link[i+len("zoneinfo/"):]
				}
			}
		}
		if name == "" {
			return "", errors.New("cannot name this box's zone ($TZ is unset, /etc/localtime is not a link into the zone database): give an IANA name such as Europe/London")
		}
	}
	if _, err := time.LoadLocation(name); err != nil {
		return "", err
	}
	return name, nil
}
