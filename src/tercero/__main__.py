from tercero.config.cli import main

main()
