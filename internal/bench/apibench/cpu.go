package apibench

import (
	"bytes"
	"os"
	"strconv"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux architecture Go supports
// (sysconf(_SC_CLK_TCK) would need cgo to ask).
const clockTicks = 100

// procCPU is the user plus system CPU time a process has used so far, from /proc/PID/stat; pid 0 is this process.
// A server's time is read from outside because no client-side figure can bound it: client and server share the
// machine's two cores. ok is false where there is no /proc.
func procCPU(pid int) (cpu time.Duration, ok bool) {
	name := "self"
	if pid != 0 {
		name = strconv.Itoa(pid)
	}
	b, err := os.ReadFile("/proc/" + name + "/stat")
	if err != nil {
		return 0, false
	}
	return parseProcStatCPU(b)
}

// parseProcStatCPU reads utime and stime, fields 14 and 15 of proc(5). The command name, field 2, is in
// parentheses and may itself hold spaces and parentheses, so fields are counted from the last ')'.
func parseProcStatCPU(stat []byte) (time.Duration, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(stat[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	stime, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, true
}

// cpuMeter measures the CPU time a server (by pid; 0 when it runs in this process) and this process use over
// one phase.
type cpuMeter struct {
	pid              int
	server, client   time.Duration
	serverOK, selfOK bool
}

func startCPUMeter(pid int) cpuMeter {
	m := cpuMeter{pid: pid}
	if pid != 0 {
		m.server, m.serverOK = procCPU(pid)
	}
	m.client, m.selfOK = procCPU(0)
	return m
}

// stop returns the CPU time used since start; serverKnown is false for an in-process server or without /proc.
func (m cpuMeter) stop() (server, client time.Duration, serverKnown bool) {
	if m.serverOK {
		if now, ok := procCPU(m.pid); ok {
			server, serverKnown = now-m.server, true
		}
	}
	if m.selfOK {
		if now, ok := procCPU(0); ok {
			client = now - m.client
		}
	}
	return server, client, serverKnown
}
