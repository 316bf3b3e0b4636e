# The single place the version lives; setup.py and mmrefine read it from here.
__version__ = '0.1.0'
