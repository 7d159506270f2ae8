temporal operator nexus endpoint create \
  --name gcp-lro \
  --target-namespace default \
  --target-task-queue gcp-lro
