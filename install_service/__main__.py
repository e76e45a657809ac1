from install_service.cli import main

main()
