// Command ocitask is the process the runtime-mode tests run in a
// container. It is built statically (CGO_ENABLED=0) and copied into a
// rootfs of its own, so it needs no libraries. Its first argument says
// what to do:
//
//	exit N   print "out" and "err", exit with code N
//	term     print "ready", exit 7 on SIGTERM
//	ignore   ignore SIGTERM, print "ready", sleep
//	tree     start a child that sleeps, print "ready", sleep
//	sleep    sleep
//	hog      allocate and touch 64 MiB, then exit 3
package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ocitask exit N|term|ignore|tree|sleep|hog")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "exit":
		code, _ := strconv.Atoi(os.Args[2])
		fmt.Println("out")
		fmt.Fprintln(os.Stderr, "err")
		os.Exit(code)
	case "term":
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("ready")
		<-c
		fmt.Println("got SIGTERM")
		os.Exit(7)
	case "ignore":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "tree":
		child := exec.Command(os.Args[0], "sleep")
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "sleep":
		time.Sleep(time.Hour)
	case "hog":
		var keep [][]byte
		for i := 0; i < 64; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = 1
			}
			keep = append(keep, b)
		}
		fmt.Println("allocated", len(keep), "MiB")
		os.Exit(3)
	}
	os.Exit(2)
}
