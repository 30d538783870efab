"""`doctor`'s pure core: the facts a GitHub (and AWS) adapter read once, one small rule per setting the
security model rests on (each returning its own fix), and the checklist they make.

Nothing here talks to GitHub or AWS: `cleaner.github.repository_facts` and `cleaner.aws.iam_roles` read
the facts, `cleaner.commands.doctor` hands them over and prints the checklist."""
