"""MLflow's REST API, artifact proxy and health check, answered by LabLedger (docs/mlflow.md)."""
