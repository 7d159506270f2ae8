temporal workflow start \
  --type cancelOperation \
  --task-queue gcp-lro \
  --workflow-id lro-cancel:https://alloydb.googleapis.com/v1/projects/p/locations/us-central1/operations/op-cli \
  --input '{"operation": "https://alloydb.googleapis.com/v1/projects/p/locations/us-central1/operations/op-cli", "timeout": "30m"}'
