"""The GitHub adapter (PyGithub): the plan pull request and the approval check behind apply."""
