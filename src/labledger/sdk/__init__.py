"""Everything that runs inside the training process.  Imports nothing heavy at module load."""
