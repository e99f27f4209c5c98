"""repolens rerun: a repository's notebooks run in a sandbox from what it declares, compared."""
