// Runs the README's Go parent (examples/parent_workflow.go, copied into ./teardown by the test) on a worker of
// its own, and prints its result:
//
//	goparent <temporal address> <operation URL> <parent workflow ID>
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	temporallog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"goparent/teardown"
)

func main() {
	address, operation, workflowID := os.Args[1], os.Args[2], os.Args[3]
	c, err := client.Dial(client.Options{
		HostPort: address,
		Logger:   temporallog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))), // stdout is the result
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, "go-parents", worker.Options{})
	w.RegisterWorkflow(teardown.Teardown)
	if err := w.Start(); err != nil {
		log.Fatal(err)
	}
	defer w.Stop()
	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: workflowID, TaskQueue: "go-parents"}, teardown.Teardown, operation)
	if err != nil {
		log.Fatal(err)
	}
	var outcome string
	if err := run.Get(context.Background(), &outcome); err != nil {
		log.Fatal(err)
	}
	out, _ := json.Marshal(map[string]string{"outcome": outcome})
	fmt.Println(string(out))
}
