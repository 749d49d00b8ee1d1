package tuning

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

// A well-equipped box with a few things to fix.
func richBox() fstest.MapFS {
	return fstest.MapFS{
		"proc/cmdline":                                                    file("BOOT_IMAGE=/vmlinuz isolcpus=2-3 nohz_full=2-3\n"),
		"sys/devices/system/cpu/online":                                   file("0-7\n"),
		"sys/devices/system/cpu/isolated":                                 file("2-3\n"),
		"sys/devices/system/cpu/nohz_full":                                file("(null)\n"),
		"sys/devices/system/cpu/smt/active":                               file("1\n"),
		"sys/devices/system/cpu/smt/control":                              file("on\n"),
		"sys/devices/system/node/online":                                  file("0-1\n"),
		"sys/devices/system/cpu/cpu0/cpufreq/scaling_governor":            file("powersave\n"),
		"sys/devices/system/cpu/cpu1/cpufreq/scaling_governor":            file("performance\n"),
		"sys/class/net/lo/mtu":                                            file("65536\n"),
		"sys/class/net/eth1/speed":                                        file("25000\n"),
		"sys/class/net/eth1/mtu":                                          file("9000\n"),
		"sys/class/net/eth1/operstate":                                    file("up\n"),
		"sys/class/net/eth1/queues/rx-0/rps_cpus":                         file("0\n"),
		"sys/class/net/eth1/queues/rx-1/rps_cpus":                         file("0\n"),
		"sys/class/net/eth1/queues/tx-0/xps_cpus":                         file("0\n"),
		"sys/class/net/eth1/device/msi_irqs/120":                          file("msix\n"),
		"sys/class/net/eth1/device/msi_irqs/121":                          file("msix\n"),
		"proc/irq/120/smp_affinity_list":                                  file("2\n"),
		"proc/irq/121/smp_affinity_list":                                  file("0-7\n"),
		"sys/class/net/eth2/speed":                                        file("-1\n"),
		"sys/class/net/eth2/mtu":                                          file("1500\n"),
		"proc/interrupts":                                                 file("           CPU0\n 130:  5  PCI-MSI eth2-TxRx-0\n 131: 0 PCI-MSI other\nNMI: 0 x\n"),
		"proc/irq/130/smp_affinity_list":                                  file("3\n"),
		"proc/sys/net/core/rmem_max":                                      file("212992\n"),
		"proc/sys/net/core/wmem_max":                                      file("33554432\n"),
		"proc/sys/net/core/busy_poll":                                     file("0\n"),
		"proc/sys/net/core/busy_read":                                     file("50\n"),
		"proc/4242/comm":                                                  file("irqbalance\n"),
		"proc/1/comm":                                                     file("init\n"),
		"sys/kernel/mm/transparent_hugepage/enabled":                      file("[always] madvise never\n"),
		"sys/kernel/mm/transparent_hugepage/defrag":                       file("always defer defer+madvise [madvise] never\n"),
		"sys/devices/system/clocksource/clocksource0/current_clocksource": file("hpet\n"),
	}
}

func TestCheckBoxRich(t *testing.T) {
	checks := CheckBox(richBox())
	want := map[string]struct{ status, found string }{
		"cores":                  {StatusInfo, "8 cores online (0-7), 2 NUMA nodes"},
		"smt":                    {StatusChange, "on (control: on)"},
		"isolcpus":               {StatusOK, "2-3 (command line: isolcpus=2-3)"},
		"nohz_full":              {StatusChange, "none (command line: nohz_full=2-3)"},
		"nic eth1":               {StatusInfo, "speed 25000 Mb/s, mtu 9000, 2 rx / 1 tx queues, state up"},
		"irq affinity eth1":      {StatusChange, "irq→cpus 120→2 121→0-7"},
		"nic eth2":               {StatusInfo, "speed unknown (virtual NIC or link down), mtu 1500, queues unknown, virtual (no device)"},
		"irq affinity eth2":      {StatusOK, "irq→cpus 130→3"},
		"irqbalance":             {StatusChange, "running (pid 4242)"},
		"net.core.rmem_max":      {StatusChange, "212992"},
		"net.core.wmem_max":      {StatusOK, "33554432"},
		"net.core.busy_poll":     {StatusChange, "0"},
		"net.core.busy_read":     {StatusOK, "50"},
		"cpu frequency governor": {StatusChange, "performance on 1, powersave on 0"},
		"transparent huge pages": {StatusChange, "enabled=always, defrag=madvise"},
		"clock source":           {StatusChange, "hpet"},
	}
	seen := map[string]bool{}
	for _, c := range checks {
		seen[c.Name] = true
		if c.Recommended == "" || c.Why == "" {
			t.Errorf("%s: empty recommendation or reason: %+v", c.Name, c)
		}
		w, ok := want[c.Name]
		if !ok {
			t.Errorf("unexpected check %q (%+v)", c.Name, c)
			continue
		}
		if c.Status != w.status || c.Found != w.found {
			t.Errorf("%s: status %q found %q; want %q %q", c.Name, c.Status, c.Found, w.status, w.found)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("check %q missing", name)
		}
	}
}

// A box that shows nothing (a locked-down container): every check is
// still there, marked unknown or info, and nothing fails.
func TestCheckBoxEmpty(t *testing.T) {
	checks := CheckBox(fstest.MapFS{})
	if len(checks) < 10 {
		t.Fatalf("%d checks on an empty box, want every check reported", len(checks))
	}
	for _, c := range checks {
		if c.Status != StatusUnknown && c.Status != StatusInfo {
			t.Errorf("%s: status %q on a box with no files (found %q)", c.Name, c.Status, c.Found)
		}
		if c.Found == "" || c.Recommended == "" || c.Why == "" {
			t.Errorf("%s: empty field: %+v", c.Name, c)
		}
	}
}

func TestApplySysctls(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(root, fs.FS(richBox())); err != nil {
		t.Fatal(err)
	}
	changed, err := ApplySysctls(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []SysctlChange{
		{Name: "net.core.rmem_max", Old: "212992", New: "16777216", Undo: "sysctl -w net.core.rmem_max=212992"},
		{Name: "net.core.busy_poll", Old: "0", New: "50", Undo: "sysctl -w net.core.busy_poll=0"},
	}
	if len(changed) != len(want) {
		t.Fatalf("changed %+v, want %+v", changed, want)
	}
	for i := range want {
		if changed[i] != want[i] {
			t.Errorf("change %d: %+v, want %+v", i, changed[i], want[i])
		}
	}
	for f, v := range map[string]string{"rmem_max": "16777216", "wmem_max": "33554432", "busy_poll": "50", "busy_read": "50"} {
		b, _ := os.ReadFile(filepath.Join(root, "proc/sys/net/core", f))
		if strings.TrimSpace(string(b)) != v {
			t.Errorf("%s = %q after apply, want %s", f, b, v)
		}
	}
	// Nothing but those sysctls was touched.
	b, _ := os.ReadFile(filepath.Join(root, "sys/kernel/mm/transparent_hugepage/enabled"))
	if string(b) != "[always] madvise never\n" {
		t.Errorf("apply changed transparent huge pages: %q", b)
	}
	// Applying again changes nothing.
	if again, err := ApplySysctls(root); err != nil || len(again) != 0 {
		t.Errorf("second apply: %+v, %v", again, err)
	}
}
