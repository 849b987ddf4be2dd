"""The Deployment controller: ReplicaSets per pod template, rolling updates, rollbacks, status."""
