package kube

import (
	"bufio"
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// LogWatch follows one container's log in every pod a selector matches, pods created while it
// runs included, and keeps the lines a filter accepts: evidence from pods that may be gone when a
// step fails (an evicted or lost pod's log goes with it).
type LogWatch struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	lines  []string
	max    int
	extra  int
}

// WatchLogs starts following container's log in the pods of namespace matching selector, from
// now on; keep picks the lines kept (the first max of them; the rest are counted). Stop ends it.
func WatchLogs(cs kubernetes.Interface, namespace, selector, container string, max int, keep func(string) bool) *LogWatch {
	ctx, cancel := context.WithCancel(context.Background())
	w := &LogWatch{cancel: cancel, max: max}
	since := metav1.NewTime(time.Now().Add(-time.Second))
	following := map[string]bool{}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			pods, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
			if err == nil {
				for _, p := range pods.Items {
					if following[p.Name] || !started(p, container) {
						continue
					}
					stream, err := cs.CoreV1().Pods(namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: container, Follow: true, SinceTime: &since}).Stream(ctx)
					if err != nil {
						continue // tried again on the next round
					}
					following[p.Name] = true
					w.wg.Add(1)
					go func(pod string) {
						defer w.wg.Done()
						defer stream.Close()
						sc := bufio.NewScanner(stream)
						sc.Buffer(make([]byte, 64*1024), 1024*1024)
						for sc.Scan() {
							if line := sc.Text(); keep(line) {
								w.add(pod + ": " + line)
							}
						}
					}(p.Name)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
		}
	}()
	return w
}

func started(p corev1.Pod, container string) bool {
	for _, st := range p.Status.ContainerStatuses {
		if st.Name == container {
			return st.State.Running != nil || st.State.Terminated != nil
		}
	}
	return false
}

func (w *LogWatch) add(line string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.lines) < w.max {
		w.lines = append(w.lines, line)
	} else {
		w.extra++
	}
}

// Stop ends the watch and returns the kept lines, each prefixed with its pod's name, and a last
// line counting those past the limit.
func (w *LogWatch) Stop() []string {
	w.cancel()
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	out := append([]string(nil), w.lines...)
	if w.extra > 0 {
		out = append(out, fmt.Sprintf("(%d more lines)", w.extra))
	}
	return out
}
