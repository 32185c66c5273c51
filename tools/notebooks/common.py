"""Shared pieces of the notebook specs."""

PARAMS = '''unit: str = "retail"  # business unit, the name of a params/<unit>.yaml file
month: str = ""  # report month as YYYY-MM, empty for the last complete month in the data
params_dir: str = "../params"  # folder with defaults.yaml and one YAML file per unit'''

#: The lines every report starts with after its imports: notebook defaults, validated params, checked data.
LOAD = """ru.setup_notebook()
cfg = ru.load_config(params_dir, unit, month=month)
data = ru.load_unit_data(cfg)"""
