"""The Slack app: questions in, diagnoses and alert threads out, over the service's store and workers."""
