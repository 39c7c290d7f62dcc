from labledger.cli.main import main

main()
